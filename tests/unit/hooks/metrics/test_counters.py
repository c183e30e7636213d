"""The counters the archiver keeps: a pure tally of a batch, queued on a pipeline, read back by /metrics."""

from __future__ import annotations

import fakeredis
import pytest

from hooks.history.records import AttemptRecord, DeliveryRecord
from hooks.metrics.counters import count_archived, status_class, tally
from hooks.metrics.read import quantile_ms, snapshot, windows
from hooks.settings import Settings

NOW = 1_796_000_000.0


def delivery(webhook: str, status: str, *, in_dlq: bool = False, n: int = 0) -> DeliveryRecord:
    return DeliveryRecord(f"msg_{n}_{webhook}", f"evt_{n}", webhook, "s", status, NOW, NOW, in_dlq=in_dlq)


def attempt(webhook: str, status: int | None, ms: float, *, n: int = 0) -> AttemptRecord:
    return AttemptRecord(f"msg_{n}_{webhook}", 1, f"evt_{n}", webhook, NOW, ms, "delivered", status_code=status,
                         error=None if status else "timeout")  # fmt: skip


@pytest.fixture
def client() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


def test_a_pending_record_counts_no_delivery_but_its_attempt_counts():
    t = tally([delivery("wh_a", "pending")], [attempt("wh_a", 503, 12.0)])
    assert t.webhooks["wh_a"] == {"a:5xx": 1, "l:2": 1, "l:sum_ms": 12.0}  # 12 ms: (10, 25] ms


def test_outcomes_and_status_classes():
    assert [status_class(s) for s in (200, 302, 404, 503, None, 99)] == ["2xx", "3xx", "4xx", "5xx", "error", "error"]
    t = tally([delivery("wh_a", "delivered"), delivery("wh_a", "failed", in_dlq=True, n=1),
               delivery("wh_a", "failed", n=2)], [])  # fmt: skip
    assert t.totals == {"d:delivered": 1, "d:dead_lettered": 1, "d:failed": 1}


def test_the_last_error_is_the_newest_failed_attempt():
    late = attempt("wh_a", None, 5.0, n=1)
    late.started_at += 10
    t = tally([], [attempt("wh_a", 500, 5.0), late, attempt("wh_a", 200, 5.0, n=2)])
    assert t.last_error["wh_a"] == (NOW + 10, "timeout")


def test_the_most_active_webhooks_are_labelled_and_the_rest_is_other(client):
    settings = Settings(metrics_top_webhooks=2)
    records = [delivery(w, "delivered", n=i) for w, k in (("wh_a", 5), ("wh_b", 3), ("wh_c", 1)) for i in range(k)]
    with client.pipeline(transaction=False) as pipe:
        count_archived(pipe, settings, records, [attempt(d.webhook_id, 204, 3.0, n=i) for i, d in enumerate(records)])
        pipe.execute()
    snap = snapshot(client, settings, now_s=NOW)
    assert list(snap.webhooks) == ["wh_a", "wh_b"]
    assert snap.webhooks["wh_a"]["d:delivered"] == 5 and snap.other["d:delivered"] == 1
    assert snap.other["a:2xx"] == 1 and snap.breakers == {"wh_a": "closed", "wh_b": "closed"}


def test_windows_add_up_the_buckets_of_the_last_hour_and_day(client):
    settings = Settings()
    old = delivery("wh_a", "delivered", n=1)
    old.updated_at = NOW - 3 * 3600  # in the day, not in the hour
    with client.pipeline(transaction=False) as pipe:
        count_archived(pipe, settings, [delivery("wh_a", "delivered"), old, delivery("wh_a", "failed", in_dlq=True,
                       n=2)], [attempt("wh_a", 204, 40.0)])  # fmt: skip
        pipe.execute()
    w = windows(client, settings, ["wh_a", "all"], now_s=NOW)
    assert (w["wh_a"]["1h"].deliveries, w["wh_a"]["1h"].success_rate) == (2, 0.5)
    assert (w["wh_a"]["24h"].deliveries, w["wh_a"]["24h"].delivered) == (3, 2)
    assert w["all"]["24h"].deliveries == 3 and 25 < (w["wh_a"]["1h"].p50_ms or 0) <= 50


def test_quantiles_interpolate_within_a_bucket_as_prometheus_does():
    buckets = [0.0] * 14
    buckets[3] = 100  # all in (25 ms, 50 ms]
    assert quantile_ms(buckets, 0.5) == 37.5
    assert quantile_ms([0.0] * 14, 0.5) is None
    buckets[13] = 1000  # most beyond the last bound
    assert quantile_ms(buckets, 0.99) == 30000.0
