"""Probe now (hooks.registry.health.probe_now) on a real redis-server, its breaker state set directly."""

from __future__ import annotations

import time

from hooks.registry.health import probe_now
from hooks.store.connection import get_redis
from hooks.store.keys import Keys

WH = "wh_01J00000000000000000000000"


def test_probe_now_while_a_probe_is_in_flight_changes_nothing(settings):
    client, keys, now = get_redis(settings), Keys(settings), time.time()
    client.hset(keys.webhook_state(WH), mapping={"open_until": now - 5, "probe_until": now + 30})
    before = client.hgetall(keys.webhook_state(WH))
    assert probe_now(client, settings, WH) is True
    assert client.hgetall(keys.webhook_state(WH)) == before  # no second probe: probe_until not cleared
    assert client.zscore(keys.breakers, WH) is None


def test_probe_now_ends_an_open_breakers_cool_down(settings):
    client, keys, now = get_redis(settings), Keys(settings), time.time()
    client.hset(keys.webhook_state(WH), mapping={"open_until": now + 300, "probe_until": now - 1})
    assert probe_now(client, settings, WH) is True
    state = client.hgetall(keys.webhook_state(WH))
    assert float(state[b"open_until"]) <= time.time() and float(state[b"probe_until"]) == 0
    assert client.zscore(keys.breakers, WH) is not None
    client.delete(keys.webhook_state(WH))
    assert probe_now(client, settings, WH) is False
