"""/metrics agrees with the history: N deliveries sent are N counted, per webhook, the rest under `other`."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import hooks
from hooks.api.apikeys import create_key
from hooks.deliveries.query import list_deliveries
from tests.conftest import every, wait_for

N_OK, N_DEAD = 12, 4


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.mark.slow
def test_counters_agree_with_the_history_and_the_top_webhooks_are_capped(make_cluster, receiver, start_api):
    # Given a cluster whose archiver counts, labelling only the most active webhook
    cluster = make_cluster(HOOKS_METRICS_TOP_WEBHOOKS="1")
    cluster.worker()
    receiver.script("/dead", [(500, 0.0, {})])
    ok = hooks.create_webhook(receiver.url + "/ok", ["m.ok"])
    dead = hooks.create_webhook(receiver.url + "/dead", ["m.dead"], retry_policy="manual")
    url = start_api(cluster.env)
    key = create_key("prometheus", read_only=True)[1]
    # When N events reach one webhook and a few go dead at the other
    for i in range(N_OK):
        hooks.publish_event("m.ok", {"i": i})
    for i in range(N_DEAD):
        hooks.publish_event("m.dead", {"i": i})

    def archived() -> bool:
        finished = [d for d in every(list_deliveries) if d.status != "pending"]
        return len(finished) == N_OK + N_DEAD

    wait_for(archived, 60, what="every delivery in the history")

    # Then /metrics reads the history's numbers
    def scraped():
        got = samples(httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {key}"}).text)
        return got if got.get(("hooks_attempts_total", (("status_class", "5xx"), ("webhook", "other")))) else None

    got = wait_for(scraped, 20, what="the counters")
    delivered = [d for d in every(list_deliveries, webhook_id=ok.id) if d.status == "delivered"]
    assert len(delivered) == N_OK
    assert got[("hooks_deliveries_total", (("outcome", "delivered"), ("webhook", ok.id)))] == N_OK
    assert got[("hooks_attempts_total", (("status_class", "2xx"), ("webhook", ok.id)))] == N_OK
    assert got[("hooks_attempt_duration_seconds_count", (("webhook", ok.id),))] == N_OK
    assert got[("hooks_deliveries_total", (("outcome", "dead_lettered"), ("webhook", "other")))] == N_DEAD
    assert got[("hooks_attempts_total", (("status_class", "5xx"), ("webhook", "other")))] == N_DEAD
    assert not any(dict(labels).get("webhook") == dead.id for _, labels in got)
    assert got[("hooks_webhook_breaker_state", (("webhook", ok.id),))] == 0
    assert got[("hooks_dlq_deliveries", ())] == N_DEAD
    assert got[("hooks_webhooks", ())] == 2 and ("hooks_archiver_lag_seconds", ()) in got
    # and the stats agree too
    stats = httpx.get(f"{url}/v1/webhooks/{ok.id}/stats", headers={"Authorization": f"Bearer {key}"}).json()
    assert stats["windows"]["1h"]["delivered"] == N_OK and stats["windows"]["24h"]["success_rate"] == 1.0


def test_metrics_need_a_key(api_server):
    assert httpx.get(f"{api_server}/metrics").status_code == 401
