"""`hooks doctor` says, one line each, what in this deployment could lose work."""

from __future__ import annotations

import json

import redis

from hooks.cli import main as cli
from hooks.local.servers import RedisServer


def doctor(capsys, monkeypatch, url: str) -> tuple[int, list[dict[str, str]]]:
    from hooks.settings import Settings, reset_settings

    monkeypatch.setenv("REDIS_URL", url)
    reset_settings(Settings.from_env())
    code = cli(["doctor", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_redis_that_keeps_nothing_on_disk_is_a_warning(settings, capsys, monkeypatch):
    server = RedisServer().start()  # --appendonly no, no save points
    try:
        code, findings = doctor(capsys, monkeypatch, server.url)
    finally:
        server.stop()
    assert code == 3
    assert any(f["level"] == "warn" and "keeps nothing on disk" in f["text"] for f in findings)
    assert any(f["level"] == "ok" and f["text"].startswith("history schema at") for f in findings)


def test_an_evicting_redis_fails_and_a_durable_one_passes(settings, capsys, monkeypatch):
    server = RedisServer(aof="always").start()
    try:
        redis.Redis(port=server.port).config_set("maxmemory-policy", "allkeys-lru")
        code, findings = doctor(capsys, monkeypatch, server.url)
        assert code == 3 and any(f["level"] == "FAIL" and "evicts keys" in f["text"] for f in findings)
        redis.Redis(port=server.port).config_set("maxmemory-policy", "noeviction")
        code, findings = doctor(capsys, monkeypatch, server.url)
    finally:
        server.stop()
    by_level = {f["level"] for f in findings}
    assert "FAIL" not in by_level, findings
    assert any("appendfsync always" in f["text"] for f in findings)
