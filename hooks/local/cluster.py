"""A private Redis Cluster for the tests: N primaries with R replicas each (3 and 1 by default: 6 redis-servers).

Every node is a redis-server with `cluster-enabled yes` on a free loopback port, in a temporary directory of its
own (its `nodes.conf` there), with a short `cluster-node-timeout` so that a SIGKILLed primary's replica takes over
in seconds. The cluster is created with `redis-cli --cluster create` when a redis-cli is at hand (the one beside the
redis-server binary, else the one on PATH), or else with the cluster commands themselves (SET-CONFIG-EPOCH,
ADDSLOTS in chunks, as 6.2 has no ADDSLOTSRANGE, MEET, REPLICATE), which is what redis-cli does underneath.
`start` returns once every node says `cluster_state:ok`, every node has the same view of who serves which slots
and every replica's link is up. `.url` is the proposed `HOOKS_STORE_URL` form,
`redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...` (a string only: nothing reads it yet).

Ports are taken below the kernel's ephemeral range, each with its cluster bus port (+10000) free too.

Every process is started with its pid recorded and stopped by that pid (never by name), also after a start that
failed half-way.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Literal

from redis.cluster import ClusterNode as StartupNode
from redis.cluster import RedisCluster

from hooks.local.sentinel import UNANSWERED, DurableRedis, poll

__all__ = ["SLOTS", "ClusterServer", "ClusterTopology", "NodeView", "free_cluster_port"]

SLOTS = 16384
ADDSLOTS_CHUNK = 1000  # slots per CLUSTER ADDSLOTS call: one call of 5,000 arguments is fine too, but needless
BUS_OFFSET = 10000  # a node's cluster bus listens on its port + 10000
BAD_FLAGS = {"fail", "fail?", "handshake", "noaddr"}


def free_cluster_port(attempts: int = 200) -> int:
    """A port P on 127.0.0.1 with P and P + 10000 (its cluster bus: Redis 6.2 has no `cluster-port`) both free,
    taken below the kernel's ephemeral range so that no outgoing connection grabs either meanwhile."""
    low = _ephemeral_low()
    for _ in range(attempts):
        port = random.randrange(10000, low - 10000)
        if _bindable(port) and _bindable(port + BUS_OFFSET):
            return port
    raise RuntimeError(f"no free pair of ports P and P+{BUS_OFFSET} below {low} after {attempts} tries")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # (Linux's default)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ClusterServer(DurableRedis):
    """One cluster node: a redis-server with `cluster-enabled yes`, AOF optional, stopped (or SIGKILLed) by pid.
    `role` ("primary" or "replica"), `node_id` and `primary_id` are as the cluster last said (`refresh`)."""

    def __init__(self, *, node_timeout_ms: int, aof: str | None = None, binary: str | None = None) -> None:
        self.node_timeout_ms = node_timeout_ms
        self.appendonly = aof is not None
        super().__init__(free_cluster_port(), fsync=aof or "no", binary=binary)
        self.host = "127.0.0.1"
        self.role: Literal["primary", "replica"] = "primary"
        self.node_id = ""
        self.primary_id: str | None = None

    def _write_config(self, replica_of: int | None) -> None:
        lines = [f"port {self.port}", "bind 127.0.0.1", f"dir {self.dir}", f"logfile {self.log_path}",
                 "daemonize no", 'save ""', f"appendonly {'yes' if self.appendonly else 'no'}",
                 f"appendfsync {self.fsync}", "loglevel notice", "repl-diskless-sync-delay 0",
                 "cluster-enabled yes", "cluster-config-file nodes.conf",
                 f"cluster-node-timeout {self.node_timeout_ms}",
                 "cluster-replica-validity-factor 0"]  # fmt: skip
        # (validity factor 0: a replica may always take over, however long its link was down; the tests kill
        # primaries at any moment and want the failover, not a cluster that waits for its operator)
        self.config_path.write_text("\n".join(lines) + "\n")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"<ClusterServer {self.address} {self.role} pid={self.pid}>"


class NodeView:
    """One line of `CLUSTER NODES`: a node as some node sees it."""

    def __init__(self, line: str) -> None:
        fields = line.split()
        self.node_id = fields[0]
        port = fields[1].split("@")[0].rsplit(":", 1)[-1]
        self.port = int(port) if port.isdigit() else 0  # (0: not known yet, as during a handshake)
        self.flags = set(fields[2].split(","))
        self.primary_id = None if fields[3] == "-" else fields[3]
        self.slots = tuple(s for s in fields[8:] if not s.startswith("["))  # ("0-5460", ...); not migrations

    @property
    def role(self) -> Literal["primary", "replica"]:
        return "replica" if "slave" in self.flags else "primary"

    def key(self) -> tuple[str, int, str, str | None, tuple[str, ...]]:
        """What every node must agree on (flags such as `myself` differ by who is asked)."""
        return self.node_id, self.port, self.role, self.primary_id, self.slots


class ClusterTopology:
    """`primaries` primaries with `replicas` replicas each on 127.0.0.1, created as one Redis Cluster; every process
    stopped by pid. Use as a context manager, or `start()` and `stop()`."""

    def __init__(self, primaries: int = 3, replicas: int = 1, *, node_timeout_ms: int = 1000,
                 aof: str | None = None, binary: str | None = None,
                 create: Literal["auto", "cli", "commands"] = "auto") -> None:  # fmt: skip
        if primaries < 3:
            raise ValueError(f"primaries: a Redis Cluster needs at least 3 to fail over by majority, not {primaries}")
        if replicas < 0:
            raise ValueError(f"replicas: expected 0 or more per primary, got {replicas}")
        if aof not in (None, "always", "everysec", "no"):
            raise ValueError(f"aof: expected None, always, everysec or no, got {aof!r}")
        if create not in ("auto", "cli", "commands"):
            raise ValueError(f"create: expected auto, cli or commands, got {create!r}")
        self.primary_count = primaries
        self.replica_count = replicas
        self.create = create
        count = primaries * (1 + replicas)
        self.nodes = [ClusterServer(node_timeout_ms=node_timeout_ms, aof=aof, binary=binary) for _ in range(count)]

    # -- what a client needs

    @property
    def startup_nodes(self) -> list[StartupNode]:
        """Every node, as redis-py's `RedisCluster(startup_nodes=...)` takes them."""
        return [StartupNode(n.host, n.port) for n in self.nodes]

    @property
    def url(self) -> str:
        """The proposed `HOOKS_STORE_URL` form: `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...` (every node)."""
        return "redis+cluster://" + ",".join(n.address for n in self.nodes)

    def client(self, **kwargs: object) -> RedisCluster:
        """A new redis-py cluster client on every node (close it after use); short timeouts unless given."""
        options: dict[str, object] = {"socket_connect_timeout": 0.5, "socket_timeout": 2, **kwargs}
        return RedisCluster(startup_nodes=self.startup_nodes, **options)  # type: ignore[arg-type]

    # -- life cycle

    def start(self, timeout_s: float = 30.0) -> ClusterTopology:
        """Start every node, create the cluster, wait until it is ready (see `wait_ready`); on any failure stop
        every process started so far and raise."""
        try:
            for node in self.nodes:
                node.start(timeout_s)
            cli = self._redis_cli()
            if cli:
                self._create_with_cli(cli, timeout_s)
            else:
                self._create_with_commands(timeout_s)
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every node by its pid and remove its directory (nodes never started or already killed too)."""
        for node in self.nodes:
            node.stop()

    def kill(self, node: ClusterServer) -> None:
        """SIGKILL one node by its pid, as a crash would, and reap it (its directory stays until `stop`)."""
        node.kill()

    def __enter__(self) -> ClusterTopology:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- who is who

    def primaries(self) -> list[ClusterServer]:
        """The running nodes that are primaries as the cluster last said (`refresh` first after a failover; a killed
        primary stays "primary" in the cluster's view, flagged `fail`, until it comes back as a replica)."""
        return [n for n in self.nodes if n.role == "primary" and n.pid is not None]

    def replicas_of(self, primary: ClusterServer) -> list[ClusterServer]:
        return [n for n in self.nodes if n.role == "replica" and n.primary_id == primary.node_id]

    def node(self, port: int) -> ClusterServer:
        return next(n for n in self.nodes if n.port == port)

    def views(self, node: ClusterServer) -> list[NodeView] | None:
        """`CLUSTER NODES` as `node` answers it; None when it does not answer."""
        try:
            with node.client(decode_responses=True) as c:
                text = c.execute_command("CLUSTER", "NODES")  # (two words: redis-py parses "CLUSTER NODES")
        except UNANSWERED:
            return None
        return [NodeView(line) for line in str(text).splitlines() if line.strip()]

    def refresh(self) -> None:
        """Take each node's role, id and primary from a live node's view of the cluster."""
        view = next((v for n in self.nodes if n.pid is not None and (v := self.views(n))), None)
        if view is None:
            raise RuntimeError("no node of the cluster answers CLUSTER NODES")
        for line in view:
            node = self.node(line.port)
            node.node_id, node.role, node.primary_id = line.node_id, line.role, line.primary_id

    # -- waiting

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until every node runs, says `cluster_state:ok` with every slot assigned, knows every node with no
        failure flag, has the same view of roles and slots as the others, and every replica's link is up; then
        `refresh`. Raises TimeoutError."""
        poll(self._ready, timeout_s, "the cluster to be ready on every node", interval_s=0.1)
        self.refresh()

    def _ready(self) -> bool:
        views = []
        for node in self.nodes:
            info = _cluster_info(node) if node.pid is not None else None
            view = self.views(node) if info else None
            if not info or not view or info.get("cluster_state") != "ok":
                return False
            if info.get("cluster_slots_assigned") != str(SLOTS) or len(view) != len(self.nodes):
                return False
            if any(line.flags & BAD_FLAGS for line in view):
                return False
            views.append(sorted(line.key() for line in view))
        if any(v != views[0] for v in views):
            return False
        roles = {line[1]: line[2] for line in views[0]}
        return all(roles[n.port] == "primary" or _link_up(n) for n in self.nodes)

    def wait_failover(self, old: ClusterServer, timeout_s: float = 20.0) -> ClusterServer:
        """After `old` (a primary) was killed: wait until one of its replicas (as last refreshed: call before any
        other `refresh`) serves slots as a primary and every live node says `cluster_state:ok`; then `refresh` and
        return the new primary. Raises TimeoutError."""
        candidates = self.replicas_of(old)
        if not candidates:
            raise RuntimeError(f"{old.address} has no replica to take over from it")

        def taken_over() -> ClusterServer | None:
            live = [n for n in self.nodes if n.pid is not None]
            if not all((_cluster_info(n) or {}).get("cluster_state") == "ok" for n in live):
                return None
            for node in candidates:
                mine = next((line for line in self.views(node) or [] if "myself" in line.flags), None)
                if mine and mine.role == "primary" and mine.slots:
                    return node
            return None

        new = poll(taken_over, timeout_s, f"a replica to take over from {old.address}", interval_s=0.05)
        assert new is not None
        self.refresh()
        return new

    # -- creating

    def _redis_cli(self) -> str | None:
        """The redis-cli to create the cluster with, or None to use the cluster commands."""
        if self.create == "commands":
            return None
        beside = Path(self.nodes[0].binary).with_name("redis-cli")
        cli = str(beside) if beside.is_file() else shutil.which("redis-cli")
        if cli is None and self.create == "cli":
            raise RuntimeError("create='cli': no redis-cli beside the redis-server binary nor on PATH")
        return cli

    def _create_with_cli(self, cli: str, timeout_s: float) -> None:
        args = [cli, "--cluster", "create", *(n.address for n in self.nodes),
                "--cluster-replicas", str(self.replica_count), "--cluster-yes"]  # fmt: skip
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:  # (run killed it, by its pid)
            raise TimeoutError(f"redis-cli --cluster create did not finish within {timeout_s}s") from None
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {(done.stdout + done.stderr)[-800:]}")

    def _create_with_commands(self, timeout_s: float) -> None:
        """What `redis-cli --cluster create` does: distinct config epochs, the slots split evenly over the first
        `primaries` nodes, every node met, then each replica told whom to replicate (round robin)."""
        primaries, replicas = self.nodes[: self.primary_count], self.nodes[self.primary_count :]
        for epoch, node in enumerate(self.nodes, start=1):
            with node.client() as c:
                c.execute_command("CLUSTER SET-CONFIG-EPOCH", epoch)
        for index, node in enumerate(primaries):
            first, last = _slot_range(index, self.primary_count)
            with node.client() as c:
                for start in range(first, last + 1, ADDSLOTS_CHUNK):
                    c.execute_command("CLUSTER ADDSLOTS", *range(start, min(start + ADDSLOTS_CHUNK, last + 1)))
        for node in self.nodes[1:]:
            with node.client() as c:
                c.execute_command("CLUSTER MEET", self.nodes[0].host, self.nodes[0].port)
        poll(self._all_met, timeout_s, "every node to know every other", interval_s=0.05)
        ids = {n.port: n.node_id for n in self.nodes}
        for index, replica in enumerate(replicas):
            with replica.client() as c:
                c.execute_command("CLUSTER REPLICATE", ids[primaries[index % self.primary_count].port])

    def _all_met(self) -> bool:
        for node in self.nodes:
            view = self.views(node)
            if view is None or len(view) != len(self.nodes) or any(line.flags & BAD_FLAGS for line in view):
                return False
            node.node_id = next(line.node_id for line in view if "myself" in line.flags)
        return True


def _slot_range(index: int, primaries: int) -> tuple[int, int]:
    """The slots of primary `index` of `primaries`, split as redis-cli splits them (0-5460, 5461-10922, ...)."""
    per = SLOTS / primaries
    return round(index * per), round((index + 1) * per) - 1


def _cluster_info(node: ClusterServer) -> dict[str, str] | None:
    try:
        with node.client(decode_responses=True) as c:
            text = c.execute_command("CLUSTER", "INFO")
    except UNANSWERED:
        return None
    if isinstance(text, dict):  # (a redis-py that parses the reply)
        return {str(k): str(v) for k, v in text.items()}
    return dict(line.split(":", 1) for line in str(text).splitlines() if ":" in line)


def _link_up(node: ClusterServer) -> bool:
    try:
        with node.client(decode_responses=True) as c:
            info = c.info("replication")
    except UNANSWERED:
        return False
    return info.get("role") == "slave" and info.get("master_link_status") == "up"
