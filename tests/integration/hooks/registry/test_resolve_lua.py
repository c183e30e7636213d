"""The one-round-trip resolve script on a real redis-server: its topic matcher, its route hash, its batches."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import hooks
from hooks.models.webhook import Webhook
from hooks.registry.index import rebuild_routes, write
from hooks.registry.matching import branch_matches, topic_matches
from hooks.registry.resolve import resolve, resolve_ids, resolve_ids_many
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from hooks.store.scripts import expand

URL = "http://127.0.0.1:9/h"


def examples(n: int) -> hsettings:
    """n examples per test; the `settings` fixture (an emptied database) is shared by a test's examples."""
    return hsettings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ARGV: pattern, topic, pattern, topic... -> 1 or 0 per pair, from the very Lua the resolve script includes.
_MATCH_PAIRS_LUA = expand(
    """--- @include "match_topic"
local out = {}
for i = 1, #ARGV, 2 do
  out[#out + 1] = topic_matches(split_topic(ARGV[i]), split_topic(ARGV[i + 1])) and 1 or 0
end
return out
"""
)


def lua_matches(client, pairs):
    """What the Lua matcher answers for each (pattern, topic) pair, in one call."""
    flat = [x for pair in pairs for x in pair]
    return [bool(r) for r in client.eval(_MATCH_PAIRS_LUA, 0, *flat)]


EDGE_CASES = [
    ("#", "a", True),
    ("#", "", True),
    ("*", "", True),  # "" is one empty segment, as str.split(".") sees it
    ("a", "", False),
    ("#.#", "a", True),
    ("#.#", "a.b.c", True),
    ("#.a", "a", True),
    ("#.a", "b.a", True),
    ("#.a", "a.b", False),
    ("a.#", "a", True),
    ("a.#", "b", False),
    ("a.#.b", "a.b", True),
    ("a.#.b", "a.x.y.b", True),
    ("a.#.b", "a.x.y", False),
    ("#.a.#", "x.a.y", True),
    ("#.a.#", "x.y", False),
    ("*", "a.b", False),
    ("*.*", "a", False),
    ("*.*", "a.b", True),
    ("*.*", "a.b.c", False),
    ("*.#", "a", True),
    ("#.*", "", True),
    ("*.#.*", "a", False),
    ("*.#.*", "a.b", True),
    ("a.*.#", "a", False),
    ("a.*.#", "a.b.c.d", True),
    ("a.b", "a.b.c", False),
    ("a..b", "a..b", True),
    ("a.#.b.#.c", "a.x.b.y.z.c", True),
    ("a.#.b.#.c", "a.x.y.c", False),
]


@pytest.mark.parametrize(("pattern", "topic", "expected"), EDGE_CASES)
def test_lua_matcher_gives_the_amqp_answer_on_edge_cases(settings, pattern, topic, expected):
    assert topic_matches(pattern, topic) is expected
    assert lua_matches(get_redis(settings), [(pattern, topic)]) == [expected]


def dotted(segments: st.SearchStrategy[str], max_size: int = 6) -> st.SearchStrategy[str]:
    return st.lists(segments, min_size=1, max_size=max_size).map(".".join)


ANY_PATTERN = dotted(st.sampled_from(["a", "b", "c", "*", "#", ""]))
ANY_TOPIC = dotted(st.sampled_from(["a", "b", "c", ""]))


@examples(200)
@given(pairs=st.lists(st.tuples(ANY_PATTERN, ANY_TOPIC), min_size=1, max_size=50))
def test_lua_matcher_agrees_with_topic_matches(settings, pairs):
    assert lua_matches(get_redis(settings), pairs) == [topic_matches(p, t) for p, t in pairs]


PATTERN = dotted(st.sampled_from(["a", "b", "c", "*", "#"]), 4)
TOPIC = dotted(st.sampled_from(["a", "b", "c"]), 4)
BRANCHES = st.sampled_from([["main"], ["dev"], ["*"], ["main", "dev"]])
SPEC = st.tuples(st.lists(PATTERN, min_size=1, max_size=3), BRANCHES, st.booleans())
EVENT = st.tuples(st.sampled_from(["main", "dev", "other"]), st.lists(TOPIC, min_size=1, max_size=3))
_stacks = itertools.count()


def expected_ids(webhooks, branch, topics):
    """The reference answer, from the Python matcher and the webhooks themselves."""
    return sorted(
        wh.id
        for wh in webhooks
        if wh.enabled
        and branch_matches(wh.branches, branch)
        and any(topic_matches(p, t) for p in wh.events for t in topics)
    )


def write_all(settings, webhooks):
    with get_redis(settings).pipeline(transaction=False) as pipe:
        for wh in webhooks:
            write(pipe, Keys(settings), wh, old=None)
        pipe.execute()


@examples(60)
@given(specs=st.lists(SPEC, min_size=1, max_size=12), events=st.lists(EVENT, min_size=1, max_size=5))
def test_resolve_ids_agrees_with_the_python_reference(settings, specs, events):
    stack = f"p{next(_stacks)}"  # examples share the database: each one gets a stack of its own
    webhooks = [Webhook(url=URL, events=e, branches=b, enabled=on, stack=stack) for e, b, on in specs]
    write_all(settings, webhooks)
    client = get_redis(settings)
    wanted = [expected_ids(webhooks, branch, topics) for branch, topics in events]
    assert [resolve_ids(client, settings, stack, branch, topics) for branch, topics in events] == wanted
    assert resolve_ids_many(client, settings, [(stack, branch, topics) for branch, topics in events]) == wanted


def routes(settings, stack):
    raw = get_redis(settings).hgetall(Keys(settings).route(stack))
    return {k.decode(): v.decode() for k, v in raw.items()}


def test_route_follows_create_disable_enable_and_delete(settings):
    wh = hooks.create_webhook(URL, ["a.*"], stack="s", branches=["main", "staging"])
    client = get_redis(settings)
    assert routes(settings, "s") == {wh.id: "1|main,staging"}
    hooks.disable_webhook(wh.id)
    assert routes(settings, "s") == {wh.id: "0|main,staging"}
    assert resolve_ids(client, settings, "s", "main", ["a.b"]) == []
    hooks.enable_webhook(wh.id)
    assert routes(settings, "s") == {wh.id: "1|main,staging"}
    assert resolve_ids(client, settings, "s", "staging", ["a.b"]) == [wh.id]
    assert resolve_ids(client, settings, "s", "main,staging", ["a.b"]) == []  # a branch is one name, never a list
    hooks.delete_webhook(wh.id)
    assert routes(settings, "s") == {}
    assert resolve_ids(client, settings, "s", "main", ["a.b"]) == []


def test_route_follows_updates_of_branches_events_and_stack(settings):
    wh = hooks.create_webhook(URL, ["a.b"], stack="s1")
    client = get_redis(settings)
    hooks.update_webhook(wh.id, branches=["*"])
    assert routes(settings, "s1") == {wh.id: "1|*"}
    assert resolve_ids(client, settings, "s1", "any-branch", ["a.b"]) == [wh.id]
    hooks.update_webhook(wh.id, events=["x.#"])
    assert resolve_ids(client, settings, "s1", "main", ["a.b"]) == []
    assert resolve_ids(client, settings, "s1", "main", ["x"]) == [wh.id]
    hooks.update_webhook(wh.id, stack="s2", branches=["dev"])
    assert routes(settings, "s1") == {} and routes(settings, "s2") == {wh.id: "1|dev"}
    assert resolve_ids(client, settings, "s1", "dev", ["x"]) == []
    assert resolve_ids(client, settings, "s2", "dev", ["x"]) == [wh.id]
    assert resolve_ids(client, settings, "s2", "main", ["x"]) == []


def test_resolve_ids_many_equals_resolve_ids_per_query(settings):
    client = get_redis(settings)
    made = [
        hooks.create_webhook(URL, ["a.b", "a.#"], stack="s1"),  # matches twice, listed once
        hooks.create_webhook(URL, ["a.*"], stack="s1", branches=["dev"]),
        hooks.create_webhook(URL, ["#"], stack="s2", branches=["*"]),
        hooks.create_webhook(URL, ["c"], stack="s2", enabled=False),
    ]
    queries = [
        ("s1", "main", ["a.b"]),
        ("s1", "dev", ["a.b", "a"]),
        ("s2", "main", ["c"]),
        ("s2", "x", ["c", "d.e"]),
        ("nowhere", "main", ["a.b"]),
        ("s1", "main", []),
    ]
    per_query = [resolve_ids(client, settings, *q) for q in queries]
    assert resolve_ids_many(client, settings, queries) == per_query
    assert per_query[0] == [made[0].id] and per_query[2] == [made[2].id] and per_query[4:] == [[], []]
    assert per_query[1] == [made[1].id]
    assert resolve_ids_many(client, settings, []) == []


def test_resolve_returns_the_webhooks_of_resolve_ids(settings):
    made = [hooks.create_webhook(URL, ["a.#"]) for _ in range(3)]
    ids = resolve_ids(get_redis(settings), settings, "default", "main", ["a.b"])
    assert ids == sorted(w.id for w in made)
    assert resolve("default", "main", ["a.b"]) == sorted(made, key=lambda w: w.id)


def test_webhooks_without_a_route_resolve_from_their_json_until_rebuild_routes(settings):
    client, keys = get_redis(settings), Keys(settings)
    on = hooks.create_webhook(URL, ["a"], stack="s")
    off = hooks.create_webhook(URL, ["a"], stack="s", enabled=False)
    every = hooks.create_webhook(URL, ["a"], stack="s", branches=["*"])
    client.delete(keys.route("s"))  # as stored before route hashes existed
    client.sadd(keys.exact("s", "a"), "wh_01M8FXPJTRQTWYECFQH64VM87N")  # an id whose webhook is gone
    assert resolve_ids(client, settings, "s", "main", ["a"]) == sorted([on.id, every.id])
    assert resolve_ids(client, settings, "s", "dev", ["a"]) == [every.id]
    assert rebuild_routes(client, settings) == 3
    assert routes(settings, "s") == {on.id: "1|main", off.id: "0|main", every.id: "1|*"}
    assert resolve_ids(client, settings, "s", "main", ["a"]) == sorted([on.id, every.id])


@pytest.mark.slow
def test_more_ids_and_keys_than_one_command_takes_at_once(settings):
    # the script splits unions and route reads into commands of 1,000; 2,100 candidates over 1,500 exact keys
    keys = Keys(settings)
    webhooks = [Webhook(url=URL, events=[f"t{i % 1500}"], stack="big", enabled=i % 7 != 0) for i in range(2100)]
    write_all(settings, webhooks)
    client = get_redis(settings)
    topics = [f"t{i}" for i in range(1500)]
    assert client.hlen(keys.route("big")) == 2100
    assert resolve_ids(client, settings, "big", "main", topics) == expected_ids(webhooks, "main", topics)
