"""Payload filters: the Lua evaluator the fan-out runs (includes/filter.lua) agrees with the Python reference
(hooks/models/filters.py) on random payloads and filters, on the embedded Redis 6.2 and the system's 7.x; and
both answer the documented examples as the README says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from hooks.errors import ValidationError
from hooks.local.servers import RedisServer
from hooks.models.filters import check_filter, matches, stored_conditions
from hooks.store.scripts import expand

# ARGV: the body's JSON, then filter texts -> 1 or 0 per filter (filter_passes), then the ids kept_passing keeps
# of webhooks `w1`..`wN` having those filters, joined by commas, and the ones dropped.
_EVAL_LUA = expand(
    """--- @include "filter"
local body = cjson.decode(ARGV[1])
local out, whs, filters = {}, {}, {}
for i = 2, #ARGV do
  out[#out + 1] = filter_passes(ARGV[i], body) and 1 or 0
  whs[#whs + 1] = 'w' .. (i - 1)
  filters['w' .. (i - 1)] = '1|*|' .. ARGV[i]  -- a route, as keep_routed hands them over
end
local kept, dropped = keep_passing(whs, filters, ARGV[1])
out[#out + 1] = table.concat(kept, ',')
out[#out + 1] = table.concat(dropped, ',')
return out
"""
)


@pytest.fixture(scope="module")
def client(each_redis_server: RedisServer) -> Iterator[redis.Redis]:
    conn = redis.Redis(port=each_redis_server.port)
    yield conn
    conn.close()


def dump(body: Any) -> bytes:
    """The body as build_event serializes it (hooks/models/event.py)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def lua_verdicts(client: redis.Redis, body: Any, filters: list[dict[str, Any]]) -> list[bool]:
    """What the Lua evaluator answers for each filter (and checks keep_passing says the same)."""
    texts = [stored_conditions(f) for f in filters]
    reply = client.eval(_EVAL_LUA, 0, dump(body), *texts)
    verdicts = [bool(r) for r in reply[: len(texts)]]
    kept, dropped = (x.decode().split(",") if x else [] for x in reply[len(texts) :])
    assert kept == [f"w{i + 1}" for i, ok in enumerate(verdicts) if ok]
    assert dropped == [f"w{i + 1}" for i, ok in enumerate(verdicts) if not ok]
    return verdicts


def python_verdicts(body: Any, filters: list[dict[str, Any]]) -> list[bool]:
    parsed = json.loads(dump(body))  # what the receiver gets, parsed: keys become strings
    return [matches(f, parsed) for f in filters]


# ---- random payloads and filters, drawn from a small vocabulary so that paths and values meet often ----

KEYS = ["a", "b", "locale", "0", "1", "2", "tags", "é", ""]
_strings = st.sampled_from(["", "en", "en-us", "en-gb", "fr", "1", "true", "null", "a\x00b", "ü", "日本"])
_numbers = st.one_of(
    st.sampled_from([0, 1, -1, 2, 1.0, 1.5, -0.0, 2**53, 2**53 + 1, 2**63, 10**20, 1e300, 5e-324]),
    st.integers(min_value=-5, max_value=5),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), _numbers, _strings)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=16,
)
paths = st.lists(st.sampled_from([k for k in KEYS if k]), min_size=1, max_size=4).map(".".join)
full_paths = st.one_of(paths.map(lambda p: "data." + p), paths, st.sampled_from(["type", "id", "data"]))
_lists = st.lists(scalars, max_size=5)
operators = st.one_of(
    st.tuples(st.sampled_from(["$eq", "$ne"]), scalars),
    st.tuples(st.sampled_from(["$in", "$nin"]), _lists),
    st.tuples(st.just("$exists"), st.booleans()),
    st.tuples(st.just("$prefix"), _strings),
    st.tuples(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), _numbers),
)
conditions = st.one_of(scalars, st.lists(operators, min_size=1, max_size=3).map(dict))
filters = st.dictionaries(full_paths, conditions, min_size=1, max_size=4)
bodies = st.builds(
    lambda data: {"id": "evt_1", "type": "entry.publish", "stack": "blog", "branch": "main", "data": data},
    st.dictionaries(st.sampled_from(KEYS), values, max_size=5),
)


def paths_in(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) in a body, list items by index: filters aimed at what is there."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    out = []
    for key, inner in items:
        if key == "" or "." in str(key):
            continue
        path = f"{prefix}{key}"
        out += [(path, inner), *paths_in(inner, path + ".")]
    return out


@st.composite
def aimed_filters(draw: st.DrawFn, body: Any) -> dict[str, Any]:
    """A filter whose paths and values are mostly taken from `body` (so that a fair share passes)."""
    found = paths_in(body)
    flt: dict[str, Any] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if found and draw(st.integers(0, 3)) < 3:  # hypothesis leans to 0: aimed first
            path, value = draw(st.sampled_from(found))
            near = st.just(value) if not isinstance(value, (dict, list)) else scalars
            cond = draw(
                st.one_of(
                    near,
                    st.tuples(st.sampled_from(["$eq", "$ne", "$gte", "$lte", "$in"]), near).map(
                        lambda op: {op[0]: [op[1]] if op[0] == "$in" else op[1]}
                    ),
                    conditions,
                )
            )
        else:
            path, cond = draw(full_paths), draw(conditions)
        flt[path] = cond
    return flt


def _checkable(flt: dict[str, Any]) -> bool:
    try:
        return check_filter(flt) is not None
    except ValidationError:  # an operand drawn from the body that the operator refuses ($gte on a string)
        return False


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), body=bodies)
def test_the_lua_evaluator_agrees_with_the_python_reference(client: redis.Redis, data: Any, body: Any) -> None:
    raw = data.draw(st.lists(st.one_of(aimed_filters(body), filters), min_size=1, max_size=8))
    normal = [f for f in (check_filter(f) for f in raw if _checkable(f)) if f is not None]
    if normal:
        assert lua_verdicts(client, body, normal) == python_verdicts(body, normal)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, path=paths, value=scalars)
def test_a_value_put_at_a_path_is_found_there_by_both(client: redis.Redis, body: Any, path: str, value: Any) -> None:
    # Given a body with `value` written at data.<path> (objects made along the way)
    node = body["data"]
    *parents, leaf = path.split(".")
    for key in parents:
        node[key] = node[key] if isinstance(node.get(key), dict) else {}
        node = node[key]
    node[leaf] = value
    flt = check_filter({"data." + path: value})
    assert flt is not None
    # Then equality and $exists hold in both evaluators
    both = [flt, {"data." + path: {"$exists": True}}]
    assert lua_verdicts(client, body, both) == python_verdicts(body, both) == [True, True]


# ---- the documented examples (README "Payload filters"): (filter, data, matches) ----

EXAMPLES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({"data.entry.locale": "en-us"}, {"entry": {"locale": "en-us"}}, True),
    ({"data.entry.locale": "en-us"}, {"entry": {"locale": "fr-fr"}}, False),
    ({"data.entry.locale": "en-us"}, {"entry": {}}, False),
    ({"data.entry.locale": {"$in": ["en-us", "en-gb"]}}, {"entry": {"locale": "en-gb"}}, True),
    ({"data.entry.locale": {"$nin": ["en-us"]}}, {"entry": {}}, True),  # missing: $nin holds
    ({"data.entry.locale": {"$ne": "en-us"}}, {}, True),  # missing: $ne holds
    ({"data.entry.locale": {"$exists": True}}, {"entry": {"locale": None}}, True),  # null exists
    ({"data.entry.locale": {"$exists": False}}, {"entry": {"locale": None}}, False),
    ({"data.entry.locale": None}, {"entry": {"locale": None}}, True),
    ({"data.entry.locale": None}, {"entry": {}}, False),  # null is a value; missing is not null
    ({"data.entry.title": {"$prefix": "Breaking:"}}, {"entry": {"title": "Breaking: news"}}, True),
    ({"data.entry.title": {"$prefix": "1"}}, {"entry": {"title": 12}}, False),  # only strings
    ({"data.amount": {"$gte": 100, "$lt": 1000}}, {"amount": 100}, True),
    ({"data.amount": {"$gte": 100, "$lt": 1000}}, {"amount": 1000}, False),
    ({"data.amount": {"$gt": 1}}, {"amount": "5"}, False),  # a string never compares with a number
    ({"data.amount": {"$gt": 0}}, {"amount": True}, False),  # nor a boolean
    ({"data.amount": 1}, {"amount": 1.0}, True),  # numbers compare as numbers
    ({"data.amount": 1}, {"amount": True}, False),  # a boolean is not the number 1
    ({"data.amount": "1"}, {"amount": 1}, False),
    ({"data.tags.0": "news"}, {"tags": ["news", "sport"]}, True),  # digits index a list, from 0
    ({"data.tags.1": "news"}, {"tags": ["news"]}, False),  # past the end: missing
    ({"data.tags.0": "x"}, {"tags": {"0": "x"}}, True),  # on an object, a digit segment is a key
    ({"data.tags": "news"}, {"tags": ["news"]}, False),  # a list equals no scalar
    ({"data.entry": {"$exists": True}}, {"entry": {}}, True),
    ({"type": "entry.publish", "data.entry.locale": "en-us"}, {"entry": {"locale": "en-us"}}, True),
    ({"type": "entry.delete", "data.entry.locale": "en-us"}, {"entry": {"locale": "en-us"}}, False),  # AND
    ({"data.entry.locale.x": {"$exists": False}}, {"entry": {"locale": "en"}}, True),  # through a string: missing
]


@pytest.mark.parametrize(("raw", "data", "expected"), EXAMPLES)
def test_the_documented_examples(client: redis.Redis, raw: Any, data: Any, expected: bool) -> None:
    flt = check_filter(raw)
    assert flt is not None
    body = {"id": "evt_1", "type": "entry.publish", "stack": "blog", "branch": "main", "data": data}
    assert python_verdicts(body, [flt]) == [expected]
    assert lua_verdicts(client, body, [flt]) == [expected]


def test_an_unreadable_filter_lets_every_event_through_rather_than_stopping_the_fan_out(client: redis.Redis) -> None:
    reply = client.eval(_EVAL_LUA, 0, dump({"data": {"a": 1}}), '{"data.a":{"$eq":2}}\x1f{not json', "{not json")
    assert reply[:2] == [0, 1] and reply[2] == b"w2" and reply[3] == b"w1"
