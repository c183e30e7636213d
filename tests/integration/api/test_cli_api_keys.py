"""`hooks api-key create|list|revoke`: a key printed once, stored as its hash only, revoked for good."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from hooks.api.app import create_app
from hooks.store.connection import get_redis


def hooks(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hooks.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.slow
def test_a_key_is_printed_once_stored_hashed_listed_and_revoked(settings, hooks_env):
    made = hooks("api-key", "create", "--name", "grafana", "--read-only", "--json", env=hooks_env)
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    key = data["key"]
    assert key.startswith("hk_") and data["read_only"] is True and data["id"] == "_".join(key.split("_")[:2])
    client = get_redis(settings)
    stored = [client.dump(k) or b"" for k in client.scan_iter("hooks:api:*")]
    assert stored and not any(key.split("_", 2)[2].encode() in blob for blob in stored)
    with TestClient(create_app(settings)) as api:
        assert api.get("/v1/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        listed = json.loads(hooks("api-key", "list", "--json", env=hooks_env).stdout)
        assert [(k["id"], k["name"], k["read_only"]) for k in listed] == [(data["id"], "grafana", True)]
        assert "key" not in listed[0]
        revoked = hooks("api-key", "revoke", data["id"], env=hooks_env)
        assert revoked.returncode == 0 and data["id"] in revoked.stdout
        assert api.get("/v1/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert hooks("api-key", "revoke", data["id"], env=hooks_env).returncode == 1


def test_a_key_needs_a_name(settings, hooks_env):
    bad = hooks("api-key", "create", "--name", "", env=hooks_env)
    assert bad.returncode == 2 and "name: must be 1-100 printable characters." in bad.stderr
