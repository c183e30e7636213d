"""Processes killed with SIGKILL lose nothing: workers mid-delivery, schedulers with retries pending."""

from __future__ import annotations

import pytest

import hooks
from hooks.store.connection import get_redis
from tests.conftest import every, wait_for
from workers.scheduler.schedule import pending_count


@pytest.mark.slow
def test_a_worker_killed_mid_deliveries_then_restarted_delivers_everything(make_cluster, receiver):
    # a short slice and deadlines make a short lease (16 s): what the killed worker held comes back sooner
    cluster = make_cluster(
        HOOKS_VISIBILITY_TIMEOUT_S="5",
        HOOKS_REQUEST_TIMEOUT_S="3",
        HOOKS_CONNECT_TIMEOUT_S="1",
        HOOKS_DRAIN_SLICE_S="2",
    )
    worker = cluster.worker(concurrency=8)
    cluster.scheduler()
    receiver.script("/slow", [(204, 0.05, {})])  # slow enough that deliveries are in flight when it dies
    wh = hooks.create_webhook(receiver.url + "/slow", ["e"], retry={"max_attempts": 20})
    n = 300
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(n)])
    wait_for(lambda: len(receiver.requests_to("/slow")) >= 40, what="deliveries under way")

    cluster.kill(worker)
    at_kill = len(set(receiver.ids_at("/slow")))
    cluster.worker(concurrency=8)
    wait_for(lambda: len(every(hooks.list_deliveries, webhook_id=wh.id, status="delivered")) >= n, 120,
             what="every delivery after the restart")  # fmt: skip
    ids = receiver.ids_at("/slow", status=204)
    print(f"\nworker SIGKILL: {at_kill} had arrived at the kill; after restart {len(set(ids))}/{n} arrived, "
          f"{len(ids) - len(set(ids))} duplicates (the receiver dedupes on webhook-id)")  # fmt: skip
    assert len(set(ids)) == n


@pytest.mark.slow
def test_a_scheduler_killed_with_retries_pending_then_two_restarted_send_each_once(make_cluster, receiver):
    cluster = make_cluster(HOOKS_BREAKER_THRESHOLD="1000")
    cluster.worker(concurrency=8)
    first = cluster.scheduler()
    n = 200
    receiver.script("/later", [(500, 0, {})] * n + [(204, 0, {})])
    # the retries fall due 8 s after each first attempt (the tests' default caps delays at 2 s): all 200 wait at once
    # even when a loaded machine takes seconds over the first attempts (a failing endpoint gets one at a time)
    wh = hooks.create_webhook(receiver.url + "/later", ["e"], retry={"base_s": 8, "max_delay_s": 8, "jitter": 0})
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(n)])
    wait_for(lambda: pending_count(get_redis(), cluster.settings) == n, 30, what="every delivery waiting to retry")

    cluster.kill(first)
    cluster.scheduler(), cluster.scheduler()  # two at once, racing for the same due retries
    wait_for(lambda: len(every(hooks.list_deliveries, webhook_id=wh.id, status="delivered")) >= n, 60,
             what="every retry after the restart")  # fmt: skip
    ok = receiver.ids_at("/later", status=204)
    failed = receiver.ids_at("/later", status=500)
    print(f"\nscheduler SIGKILL + 2 schedulers: {len(set(ok))}/{n} retried and arrived, "
          f"{len(ok) - len(set(ok))} double sends")  # fmt: skip
    assert sorted(ok) == sorted(set(ok)) and len(ok) == n
    assert sorted(failed) == sorted(ok)  # exactly one failed attempt and one retry each
