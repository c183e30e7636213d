"""Private Redis servers for fault tests: one that keeps its data on disk across a SIGKILL, and a Sentinel topology.

- `DurableRedis`: a redis-server with AOF on (`appendfsync always` or `everysec`) in a fixed directory, from a
  config file of its own. SIGKILL it and start it again on the same port and directory, as a crash and a
  supervisor's restart would: it loads its AOF, and keeps whatever `replicaof` Sentinel rewrote into its file.
- `SentinelTopology`: a primary, one replica (or more) and three sentinels (quorum 2) on free loopback ports, each in its own
  temporary directory. It kills the primary, runs `SENTINEL FAILOVER`, waits until the sentinels agree on a new
  primary that takes writes, and restarts a killed node (it rejoins as a replica). `.url` is the product's
  Sentinel form of `REDIS_URL`: `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/<master>/0`.

Every process is started with its pid recorded and stopped by that pid (never by name).
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import redis

from hooks.local.processes import stop_process
from hooks.local.servers import RedisServer, free_port, redis_server_binary

__all__ = ["DurableRedis", "SentinelNode", "SentinelTopology"]

T = TypeVar("T")
UNANSWERED = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


def poll(condition: Callable[[], T], timeout_s: float, what: str, interval_s: float = 0.05) -> T:
    """`condition()` until it returns something truthy; raises TimeoutError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(interval_s)


class DurableRedis(RedisServer):
    """A private redis-server with AOF in a fixed directory: SIGKILL it, start it again with its data."""

    def __init__(
        self,
        port: int | None = None,
        *,
        fsync: str = "always",
        replica_of: int | None = None,
        binary: str | None = None,
    ) -> None:
        if fsync not in ("always", "everysec", "no"):
            raise ValueError(f"fsync: expected always, everysec or no, got {fsync!r}")
        super().__init__(port, binary=binary)
        self.fsync = fsync
        self.config_path = Path(self.dir) / "redis.conf"
        self.log_path = Path(self.dir) / "redis.log"
        self._write_config(replica_of)

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def _write_config(self, replica_of: int | None) -> None:
        lines = [f"port {self.port}", "bind 127.0.0.1", f"dir {self.dir}", f"logfile {self.log_path}",
                 "daemonize no", 'save ""', "appendonly yes", f"appendfsync {self.fsync}", "loglevel notice",
                 "repl-diskless-sync-delay 0"]  # fmt: skip
        # (a replica syncs at once: Redis's default waits 5 s for more replicas to share the transfer)
        if replica_of is not None:
            lines.append(f"replicaof 127.0.0.1 {replica_of}")
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self, timeout_s: float = 20.0) -> DurableRedis:
        """Start the server (loading its AOF, if any) and wait until it answers PING; raises RuntimeError if not."""
        self.proc = subprocess.Popen([self.binary, str(self.config_path)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
        _wait_answering(self.port, self.proc, timeout_s, self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL the server by its pid, as a crash would, and reap it; its directory stays."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self, timeout_s: float = 20.0) -> DurableRedis:
        """Start it again on the same port and directory (SIGKILLed first if it still runs)."""
        self.kill()
        return self.start(timeout_s)

    def client(self, **kwargs: object) -> redis.Redis:
        """A new plain client on this server (close it after use)."""
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2, **kwargs)  # type: ignore[arg-type]

    def log_tail(self, chars: int = 1500) -> str:
        """The end of the server's log."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _wait_answering(port: int, proc: subprocess.Popen[bytes], timeout_s: float, log_path: Path) -> None:
    client = redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=1)

    def answers() -> bool:
        if proc.poll() is not None:
            text = log_path.read_text(errors="replace")[-800:] if log_path.exists() else ""
            raise RuntimeError(f"redis-server on port {port} exited with {proc.returncode}: {text}")
        try:
            return bool(client.ping())
        except UNANSWERED:
            return False

    try:
        poll(answers, timeout_s, f"redis-server on port {port} to answer PING")
    except TimeoutError:
        stop_process(proc)
        raise RuntimeError(f"redis-server did not answer on port {port} within {timeout_s}s") from None
    finally:
        client.close()


class SentinelNode:
    """One sentinel (`redis-server <conf> --sentinel`) in its own temporary directory, stopped by pid."""

    def __init__(self, master_name: str, primary_port: int, *, quorum: int = 2, down_after_ms: int = 1000) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="hooks-sentinel-")
        self.config_path = Path(self.dir) / "sentinel.conf"
        self.log_path = Path(self.dir) / "sentinel.log"
        self.proc: subprocess.Popen[bytes] | None = None
        m = master_name
        self.config_path.write_text("\n".join([
            f"port {self.port}", "bind 127.0.0.1", f"dir {self.dir}", f"logfile {self.log_path}", "daemonize no",
            f"sentinel monitor {m} 127.0.0.1 {primary_port} {quorum}",
            f"sentinel down-after-milliseconds {m} {down_after_ms}",
            f"sentinel failover-timeout {m} 10000", f"sentinel parallel-syncs {m} 1",
        ]) + "\n")  # fmt: skip

    def start(self, timeout_s: float = 10.0) -> SentinelNode:
        """Start the sentinel and wait until it answers PING; raises RuntimeError if it does not."""
        self.proc = subprocess.Popen([redis_server_binary(), str(self.config_path), "--sentinel"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        _wait_answering(self.port, self.proc, timeout_s, self.log_path)
        return self

    def client(self) -> redis.Redis:
        """A new client on this sentinel (close it after use)."""
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2, decode_responses=True)

    def stop(self) -> None:
        """Stop the sentinel by its pid and remove its directory."""
        import shutil

        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def _pairs(reply: Mapping[str, object] | Sequence[str]) -> dict[str, str]:
    """A map reply (RESP3) or a flat [key, value, ...] one (RESP2) as a dict of strings."""
    if isinstance(reply, Mapping):
        return {str(k): str(v) for k, v in reply.items()}
    return dict(zip(reply[::2], reply[1::2], strict=False))


class SentinelTopology:
    """A primary, its replicas (one by default) and three sentinels (quorum 2) on 127.0.0.1, every process stopped
    by pid. With HOOKS_PUBLISH_MIN_REPLICAS=1 take two replicas: after a failover the new primary still has one
    while the old primary comes back."""

    def __init__(
        self, master_name: str = "hooks", *, fsync: str = "everysec", down_after_ms: int = 1000, replicas: int = 1
    ) -> None:
        if replicas < 1:
            raise ValueError(f"a Sentinel topology needs at least one replica to fail over to, not {replicas}")
        self.master_name = master_name
        primary = DurableRedis(fsync=fsync)
        self.nodes = [primary, *(DurableRedis(fsync=fsync, replica_of=primary.port) for _ in range(replicas))]
        self.sentinels = [SentinelNode(master_name, primary.port, down_after_ms=down_after_ms) for _ in range(3)]

    @property
    def url(self) -> str:
        """`REDIS_URL` in the product's Sentinel form: every sentinel, the master's name, the database."""
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{self.master_name}/0"

    def start(self, timeout_s: float = 30.0) -> SentinelTopology:
        """Start the nodes, then the sentinels; returns once every sentinel knows the replica and the other two."""
        try:
            for node in self.nodes:
                node.start()
            for replica in self.nodes[1:]:  # so the sentinels' first INFO lists them
                self.wait_replica(replica, self.nodes[0], timeout_s)
            for sentinel in self.sentinels:
                sentinel.start()
            poll(self._sentinels_ready, timeout_s, "the sentinels to know the replicas and each other")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every sentinel and node by pid and remove their directories."""
        for sentinel in self.sentinels:
            sentinel.stop()
        for node in self.nodes:
            node.stop()

    def _sentinels_ready(self) -> bool:
        states = [self._master_state(s) for s in self.sentinels]
        replicas = str(len(self.nodes) - 1)
        return all(st and st.get("num-slaves") == replicas and st.get("num-other-sentinels") == "2" for st in states)

    def _master_state(self, sentinel: SentinelNode) -> dict[str, str] | None:
        with sentinel.client() as c:
            try:
                return _pairs(c.execute_command("SENTINEL", "MASTER", self.master_name))
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                return None

    def primary_ports(self) -> set[int]:
        """The primary's port according to each answering sentinel (one element once they agree)."""
        ports = set()
        for sentinel in self.sentinels:
            with sentinel.client() as c:
                try:
                    address = c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.master_name)
                except (redis.ConnectionError, redis.TimeoutError):
                    continue
                if address:
                    ports.add(int(address[1]))
        return ports

    def node(self, port: int) -> DurableRedis:
        """The data node on `port`."""
        return next(n for n in self.nodes if n.port == port)

    @property
    def primary(self) -> DurableRedis:
        """The node every sentinel names as the primary; raises RuntimeError when they do not agree."""
        ports = self.primary_ports()
        if len(ports) != 1:
            raise RuntimeError(f"the sentinels do not agree on the primary: {sorted(ports)}")
        return self.node(ports.pop())

    def kill_primary(self) -> DurableRedis:
        """SIGKILL the current primary (by pid); returns it (restart it with `restart`)."""
        node = self.primary
        node.kill()
        return node

    def failover(self) -> DurableRedis:
        """`SENTINEL FAILOVER` on one sentinel (the primary stays up and becomes a replica); returns the old primary."""
        node = self.primary
        with self.sentinels[0].client() as c:
            c.execute_command("SENTINEL", "FAILOVER", self.master_name)
        return node

    def wait_failover(self, old: DurableRedis, timeout_s: float = 30.0) -> DurableRedis:
        """Wait until the sentinels agree on a primary other than `old`, no failover is in progress and it takes
        writes; returns the new primary. Raises TimeoutError."""

        def done() -> DurableRedis | None:
            ports = self.primary_ports()
            if len(ports) != 1 or old.port in ports:
                return None
            states = [self._master_state(s) for s in self.sentinels]
            if any(st is None or "failover_in_progress" in st.get("flags", "") for st in states):
                return None
            new = self.node(ports.pop())
            return new if _takes_writes(new) else None

        new = poll(done, timeout_s, f"a failover away from port {old.port}", interval_s=0.1)
        assert new is not None
        return new

    def restart(self, node: DurableRedis, timeout_s: float = 60.0) -> DurableRedis:
        """Start a killed node again with its data; returns once it is the current primary's replica, in sync."""
        node.start()
        return self.wait_replica(node, None, timeout_s)

    def wait_replica(self, node: DurableRedis, primary: DurableRedis | None, timeout_s: float) -> DurableRedis:
        """Wait until `node` replicates from `primary` (default: the sentinels' primary) with its link up."""

        def linked() -> bool:
            try:
                target = primary or self.primary
            except RuntimeError:
                return False
            return target is not node and _replicates_from(node, target.port)

        poll(linked, timeout_s, f"port {node.port} to be a replica in sync", interval_s=0.1)
        return node


def _takes_writes(node: DurableRedis) -> bool:
    with node.client() as c:
        try:
            return bool(c.set("hooks-local:sentinel-probe", "1"))
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            return False


def _replicates_from(node: DurableRedis, primary_port: int) -> bool:
    with node.client(decode_responses=True) as c:
        try:
            info = c.info("replication")
        except UNANSWERED:
            return False
    return (info.get("role") == "slave" and int(info.get("master_port", 0)) == primary_port
            and info.get("master_link_status") == "up")  # fmt: skip
