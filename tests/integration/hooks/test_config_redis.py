"""config/redis.conf and config/sentinel/ run as shipped: real redis-servers and sentinels started from the files
(only ports, directories and addresses swapped for free loopback ones), then `hooks doctor` run against them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hooks.local.processes import start_process, stop_process
from hooks.local.servers import free_port, redis_server_binary
from tests.conftest import wait_for
from tests.support.config_files import (
    REDIS_CONF,
    SENTINEL_CONF,
    SENTINEL_ENV,
    conf_directives,
    directive,
    read_env_file,
)

SENTINEL_DIR = SENTINEL_CONF.parent
PASSWORD = directive(conf_directives(REDIS_CONF), "requirepass")[0]
PERSISTENCE_OR_EVICTION = re.compile(r"disk|AOF|appendfsync|appendonly|snapshot|evict", re.I)


class Servers:
    """redis-servers and sentinels started from config files, each stopped by its pid."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, conf: Path, port: int, *extra: str, addresses: dict[str, str] | None = None) -> None:
        """Start a copy of `conf` (see `local_copy`) with `--port PORT --bind 127.0.0.1 EXTRA...`, until it answers."""
        work = self.tmp / name
        work.mkdir()
        copy = local_copy(conf, work, addresses or {})
        args = [redis_server_binary(), str(copy), *extra, "--port", str(port), "--bind", "127.0.0.1"]
        proc = start_process(args, os.environ, work / "log")
        self.procs.append(proc)
        client = redis.Redis(port=port, password=None if "--sentinel" in extra else PASSWORD, socket_timeout=1)
        wait_for(lambda: proc.poll() is not None or _answers(client), 15, what=f"{name} ({work / 'log'})")
        assert proc.poll() is None, (work / "log").read_text()

    def stop(self) -> None:
        """Stop every process started, the last first."""
        for proc in reversed(self.procs):
            stop_process(proc)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
        return False


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    started = Servers(tmp_path)
    yield started
    started.stop()


def doctor(redis_url: str, **env: str) -> list[dict[str, str]]:
    """`hooks doctor --json` in a process of its own, against `redis_url`, with no history database set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOOKS_") and k != "REDIS_URL"}
    argv = [sys.executable, "-m", "hooks", "doctor", "--json"]
    done = subprocess.run(
        argv, env={**clean, "REDIS_URL": redis_url, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr  # 3: something to look at (here at least the missing history)
    return list(json.loads(done.stdout))


def test_a_redis_started_from_redis_conf_keeps_everything_and_evicts_nothing(servers):
    # Given a redis-server started from config/redis.conf as shipped (its port, dir and bind moved to local ones)
    port = free_port()
    servers.start("redis", REDIS_CONF, port)
    # When `hooks doctor` examines it, with the password the file sets
    findings = doctor(f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    # Then nothing about persistence or eviction is a warning, and both were checked
    about = [f for f in findings if PERSISTENCE_OR_EVICTION.search(f["text"])]
    assert [f for f in about if f["level"] != "ok"] == []
    assert any("appendfsync everysec" in f["text"] for f in about), findings
    assert any("noeviction" in f["text"] for f in about), findings


def local_copy(conf: Path, work: Path, addresses: dict[str, str]) -> Path:
    """A copy of a config file in `work`: its `dir` there (Redis enters it while it reads the file, so the command
    line is too late for a directory that does not exist here), redis.conf included from the repository, and the
    example addresses swapped for local ones. Nothing else changes."""
    text = re.sub(r"(?m)^dir .*$", f"dir {work}", conf.read_text())
    text = text.replace("/etc/redis/redis.conf", str(work / "redis.conf"))
    for example, local in addresses.items():
        text = text.replace(example, local)
    if re.search(r"(?m)^include ", text):
        local_copy(REDIS_CONF, work, {})
    copy = work / conf.name
    copy.write_text(text)
    return copy


def test_the_sentinel_setup_runs_and_the_product_finds_its_primary_and_replicas(servers):
    # Given the three machines of config/sentinel/ played on 127.0.0.1: a primary, two replicas, three sentinels
    nodes, sentinels = [free_port() for _ in range(3)], [free_port() for _ in range(3)]
    addresses = {f"10.0.0.{i + 1} {6379}": f"127.0.0.1 {nodes[i]}" for i in range(3)}
    addresses |= {f"10.0.0.{i + 1}:26379": f"127.0.0.1:{sentinels[i]}" for i in range(3)}
    servers.start("primary", SENTINEL_DIR / "primary.conf", nodes[0], addresses=addresses)
    for i in (1, 2):
        servers.start(f"replica{i}", SENTINEL_DIR / "replica.conf", nodes[i], addresses=addresses)
    for i in range(3):
        servers.start(f"sentinel{i}", SENTINEL_CONF, sentinels[i], "--sentinel", addresses=addresses)
    watcher = redis.Redis(port=sentinels[0], decode_responses=True)
    wait_for(lambda: _sentinel_sees(watcher, replicas=2, others=2), 30, what="the sentinels to see the replicas")
    # When `hooks doctor` runs with the REDIS_URL of config/sentinel/hooks-sentinel.env
    env = read_env_file(SENTINEL_ENV).active
    url = env["REDIS_URL"]
    for example, local in addresses.items():
        url = url.replace(example, local)
    findings = doctor(url, HOOKS_PUBLISH_MIN_REPLICAS=env["HOOKS_PUBLISH_MIN_REPLICAS"])
    # Then it reached the primary through the sentinels, with both replicas connected, and nothing about Redis warns
    assert any(f["level"] == "ok" and "2 replica(s); publish waits for 1" in f["text"] for f in findings), findings
    assert [f for f in findings if f["text"].startswith("Redis") and f["level"] != "ok"] == []


def _sentinel_sees(client: redis.Redis, *, replicas: int, others: int) -> bool:
    master = client.sentinel_master("mymaster")
    return int(master["num-slaves"]) >= replicas and int(master["num-other-sentinels"]) >= others
