"""A rate per webhook (`rate_limit_per_s`): a token bucket in Redis shared by every worker process; deliveries over
it wait in Redis with no attempt spent, and other webhooks keep their pace. Precision is the bench's
(`python -m bench rate`); these bounds are loose."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import hooks
from hooks.local.processes import start_process, stop_process, worker_args
from hooks.local.receiver import Receiver
from tests.conftest import every, wait_for


@pytest.fixture
def second_worker(worker: object, hooks_env: dict[str, str], log_dir: Path) -> Iterator[object]:
    """Another worker process on the session's Redis, beside the session's `worker`; stopped by pid after the test."""
    log = log_dir / "rate-second-worker.log"
    proc = start_process(worker_args(concurrency=4), hooks_env, log)
    wait_for(lambda: proc.poll() is None and log.exists() and " ready." in log.read_text(), 30,
             what="the second worker to be ready")  # fmt: skip
    yield proc
    stop_process(proc)


def senders(receiver: Receiver, path: str, pids: list[int]) -> set[int]:
    """Which of `pids` sent the requests to `path` (their kept-alive connections' source ports, from /proc)."""
    ports = {r.peer_port for r in receiver.requests_to(path)}
    inode_port: dict[str, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            port = int(cols[1].rsplit(":", 1)[1], 16)
            if port in ports:
                inode_port[cols[9]] = port
    found = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            link = os.readlink(fd) if fd.is_symlink() else ""
            if link.startswith("socket:[") and link[8:-1] in inode_port:
                found.add(pid)
    return found


def test_a_rated_webhook_gets_its_rate_from_two_workers_without_failures_and_its_neighbour_keeps_its_pace(
    worker, scheduler, second_worker, settings, receiver
):
    # Given a webhook limited to 20 requests a second and one without a limit, on two worker processes
    limited = hooks.create_webhook(receiver.url + "/limited", ["rate.a"], rate_limit_per_s=20)
    free = hooks.create_webhook(receiver.url + "/free", ["rate.b"])
    # When 60 events for the limited one and 100 for the other are published at once
    for n in range(100):
        if n < 60:
            hooks.publish_event("rate.a", {"n": n})
        hooks.publish_event("rate.b", {"n": n})
    # Then the unlimited one gets its 100 at once, while the limited one is still far from done
    wait_for(lambda: len(receiver.ids_at("/free")) == 100, timeout_s=10, what="the unlimited webhook's 100")
    assert len(receiver.ids_at("/limited")) < 40
    wait_for(lambda: len(receiver.ids_at("/limited")) == 60, timeout_s=15, what="the limited webhook's 60")
    times = sorted(r.at for r in receiver.requests_to("/limited"))
    # 60 at 20/s after a burst of 5 (a quarter second's worth): 2.75 s
    assert 2.2 <= times[-1] - times[0] <= 4.5, times[-1] - times[0]
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= 20 + 5 + 2  # no second over the rate
    # and the bucket is shared: both processes sent to it, and the rate held all the same
    assert senders(receiver, "/limited", [worker.pid, second_worker.pid]) == {worker.pid, second_worker.pid}
    # and waiting spent no attempt: each delivery sent once, delivered at its first attempt
    assert sorted(set(receiver.ids_at("/limited"))) == sorted(receiver.ids_at("/limited"))
    wait_for(lambda: len(every(hooks.list_deliveries, webhook_id=limited.id, status="delivered")) == 60,
             what="60 delivered in the history")  # fmt: skip
    assert {d.attempts for d in every(hooks.list_deliveries, webhook_id=limited.id)} == {1}
    assert hooks.get_webhook(free.id).rate_limit_per_s is None


def test_changing_or_removing_the_rate_takes_effect_at_once(worker, scheduler, settings, receiver):
    # Given a webhook limited to 2 requests a second with 12 deliveries waiting behind it
    wh = hooks.create_webhook(receiver.url + "/slow", ["rate.c"], rate_limit_per_s=2)
    for n in range(12):
        hooks.publish_event("rate.c", {"n": n})
    wait_for(lambda: len(receiver.ids_at("/slow")) >= 2, timeout_s=5, what="the first two")
    assert len(receiver.ids_at("/slow")) <= 3
    # When its limit is removed, the rest go at once (at 2/s they would take 5 s more)
    removed = hooks.update_webhook(wh.id, rate_limit_per_s=None).updated_at.timestamp()
    wait_for(lambda: len(receiver.ids_at("/slow")) == 12, timeout_s=5, what="the other ten")
    assert max(r.at for r in receiver.requests_to("/slow")) - removed < 1.5
    # When a limit of 4 a second is set again, 6 more take about (6 - 1) / 4 s
    hooks.update_webhook(wh.id, rate_limit_per_s=4)
    for n in range(6):
        hooks.publish_event("rate.c", {"n": n})
    wait_for(lambda: len(receiver.ids_at("/slow")) == 18, timeout_s=10, what="six more")
    times = sorted(r.at for r in receiver.requests_to("/slow"))[12:]
    assert 1.0 <= times[-1] - times[0] <= 3.0, times[-1] - times[0]
