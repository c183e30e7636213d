"""Two facts about redis-py's Sentinel client that the product's Sentinel support must handle, shown on a private
topology (hooks.local.sentinel): run `python -m bench.faults.sentinel_probe`.

1. After `SENTINEL FAILOVER`, a connection opened before it keeps writing to the old primary, which accepts the
   writes until Sentinel demotes it (about 15 s later: Sentinel waits for the old primary to report its role for
   a while), and the demotion discards them. No error is raised: acknowledged writes are lost.
2. A `SentinelManagedConnection` asks the sentinels for the primary only in its `connect()`. Used directly, as
   `hooks/store/scripts.py` `_thread_connection` uses the pool's connection class, redis-py 8.1's
   `send_packed_command` connects through `connect_check_health()` to the connection's own host and port:
   `localhost:6379` for a fresh one (not the primary), the last primary for one that was disconnected.
"""

from __future__ import annotations

import time
from typing import Any

from hooks.local.sentinel import SentinelTopology


def writes_lost_after_failover(topology: SentinelTopology, seconds: float = 20.0) -> dict[str, Any]:
    """Write one key every 10 ms through a Sentinel client across `SENTINEL FAILOVER`; count what survived."""
    import redis
    from redis.sentinel import Sentinel

    sentinel = Sentinel([("127.0.0.1", s.port) for s in topology.sentinels], socket_timeout=1)
    client = sentinel.master_for(topology.master_name, socket_timeout=1, socket_connect_timeout=1)
    client.set("probe:before", 1)
    old = topology.failover()
    new = topology.wait_failover(old)
    acknowledged: list[str] = []
    errors, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        key = f"probe:{len(acknowledged) + errors}"
        try:
            client.set(key, 1)
            acknowledged.append(key)
        except redis.RedisError:
            errors += 1
        time.sleep(0.01)
    topology.wait_replica(old, new, timeout_s=60)
    with new.client() as c:
        kept = sum(c.exists(k) for k in acknowledged)
    return {"acknowledged_after_failover": len(acknowledged), "kept": kept, "lost": len(acknowledged) - kept,
            "errors": errors}  # fmt: skip


def where_a_direct_connection_goes(topology: SentinelTopology) -> dict[str, Any]:
    """The address a fresh connection of a Sentinel pool would connect to without `connect()` (not connected)."""
    from redis.sentinel import Sentinel

    sentinel = Sentinel([("127.0.0.1", s.port) for s in topology.sentinels], socket_timeout=1)
    pool = sentinel.master_for(topology.master_name).connection_pool
    conn = pool.connection_class(**pool.connection_kwargs)  # what _thread_connection does
    return {"primary": f"127.0.0.1:{topology.primary.port}", "fresh_connection_targets": f"{conn.host}:{conn.port}"}


def main() -> int:
    """Print both facts."""
    topology = SentinelTopology().start()
    try:
        print("a direct connection of a Sentinel pool:", where_a_direct_connection_goes(topology))
        print("writes across SENTINEL FAILOVER:", writes_lost_after_failover(topology))
    finally:
        topology.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
