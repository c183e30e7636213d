"""Webhook management and the index that resolves events, on a real redis-server (no worker needed)."""

from __future__ import annotations

import pytest

import hooks
from hooks.registry.resolve import resolve
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import stored_keys

URL = "http://127.0.0.1:9/h"


def ids(webhooks):
    return sorted(w.id for w in webhooks)


def test_create_get_list_update_delete(settings):
    wh = hooks.create_webhook(URL, ["a.#"], stack="s1", name="first", description="d")
    assert hooks.get_webhook(wh.id) == wh
    assert ids(hooks.list_webhooks()) == [wh.id] and hooks.list_webhooks(stack="other") == []
    updated = hooks.update_webhook(wh.id, events=["b.*"], concise=True)
    assert updated.events == ["b.*"] and updated.concise and updated.updated_at >= wh.updated_at
    assert resolve("s1", "main", ["a.x"]) == [] and ids(resolve("s1", "main", ["b.x"])) == [wh.id]
    hooks.delete_webhook(wh.id)
    with pytest.raises(hooks.NotFoundError):
        hooks.get_webhook(wh.id)
    assert resolve("s1", "main", ["b.x"]) == []


def test_disable_and_enable(settings):
    wh = hooks.create_webhook(URL, ["a"])
    off = hooks.disable_webhook(wh.id, "maintenance")
    assert not off.enabled and off.disabled_reason == "maintenance" and off.disabled_at is not None
    assert resolve("default", "main", ["a"]) == []
    on = hooks.enable_webhook(wh.id)
    assert on.enabled and on.disabled_reason is None
    assert ids(resolve("default", "main", ["a"])) == [wh.id]


def test_bad_input_stores_nothing(settings):
    for kwargs in ({"url": "ftp://x/"}, {"url": URL, "events": ["a..b"]}, {"url": URL, "headers": {"Host": "x"}}):
        with pytest.raises(hooks.ValidationError):
            hooks.create_webhook(kwargs.pop("url"), kwargs.pop("events", ["a"]), **kwargs)
    assert hooks.list_webhooks() == []
    assert stored_keys(get_redis(settings)) == set()


def test_an_update_that_fails_validation_changes_nothing(settings):
    wh = hooks.create_webhook(URL, ["a"])
    with pytest.raises(hooks.ValidationError):
        hooks.update_webhook(wh.id, events=["A"])
    with pytest.raises(hooks.ValidationError):
        hooks.update_webhook(wh.id, id="wh_x")
    assert hooks.get_webhook(wh.id) == wh


def test_unknown_ids_raise_not_found(settings):
    for call in (hooks.get_webhook, hooks.delete_webhook, hooks.enable_webhook):
        with pytest.raises(hooks.NotFoundError):
            call("wh_01M8FXPJTRQTWYECFQH64VM87N")
    with pytest.raises(hooks.NotFoundError):
        hooks.get_webhook("nonsense")


def test_wildcard_patterns_no_longer_used_leave_the_index(settings):
    a = hooks.create_webhook(URL, ["x.*"])
    b = hooks.create_webhook(URL, ["x.*"])
    keys = Keys(settings)
    hooks.delete_webhook(a.id)
    assert get_redis(settings).hget(keys.wild_patterns("default"), "x.*") == b"1"
    hooks.delete_webhook(b.id)
    assert get_redis(settings).hget(keys.wild_patterns("default"), "x.*") is None


def test_resolution_reads_only_candidate_sets(settings):
    # 2,000 webhooks with exact patterns in one stack, one wildcard: only matching sets are read.
    from hooks.models.webhook import Webhook
    from hooks.registry.index import write

    keys = Keys(settings)
    with get_redis(settings).pipeline(transaction=False) as pipe:
        for i in range(2000):
            write(pipe, keys, Webhook(url=URL, events=[f"entries.e{i}.publish"], stack="big"), old=None)
        pipe.execute()
    star = hooks.create_webhook(URL, ["entries.*.publish"], stack="big")
    found = resolve("big", "main", ["entries.e7.publish"])
    assert len(found) == 2 and star.id in ids(found)
    assert get_redis(settings).hlen(keys.route("big")) == 2001  # pipelined _write (as the benchmark) routes too
