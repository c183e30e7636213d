"""Taking back a replayed delivery's outcome from the metrics' buckets (hooks.metrics.counters.uncount_replayed)
on a real redis-server: a bucket gone with its TTL is not made again, a live one keeps its TTL."""

from __future__ import annotations

import time

from hooks.history.records import DeliveryRecord
from hooks.metrics.counters import count_archived, uncount_replayed
from hooks.metrics.keys import FIVE_MIN_S, FIVE_MIN_TTL_S, HOUR_S, MetricKeys
from hooks.store.connection import get_redis

WH = "wh_01J00000000000000000000000"


def _dead(at: float) -> DeliveryRecord:
    return DeliveryRecord(id="dlv_1", event_id="evt_1", webhook_id=WH, stack="default", status="failed",
                          created_at=at, updated_at=at, dead_lettered_at=at, in_dlq=True)  # fmt: skip


def _uncount(settings, record: DeliveryRecord) -> None:
    uncount_replayed(get_redis(settings), settings, [record])


def test_uncounting_a_delivery_older_than_the_buckets_ttl_makes_no_bucket(settings):
    client, keys, at = get_redis(settings), MetricKeys(settings), time.time() - FIVE_MIN_TTL_S - 2 * FIVE_MIN_S
    _uncount(settings, _dead(at))
    assert not client.exists(keys.five_min(WH, int(at // FIVE_MIN_S)))
    assert client.hgetall(keys.hour(WH, int(at // HOUR_S))) in ({}, {b"d:dead_lettered": b"-1"})


def test_uncounting_keeps_a_live_buckets_ttl_and_takes_the_outcome_back(settings):
    client, keys, record = get_redis(settings), MetricKeys(settings), _dead(time.time())
    with client.pipeline(transaction=False) as pipe:
        count_archived(pipe, settings, [record], [])
        pipe.execute()
    key = keys.five_min(WH, int(record.updated_at // FIVE_MIN_S))
    client.expire(key, 100)
    _uncount(settings, record)
    assert client.hget(key, "d:dead_lettered") == b"0" and 0 < client.ttl(key) <= 100
