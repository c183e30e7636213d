"""Hypothesis strategies shared by the property tests (tests/unit/hooks/test_properties.py) and the safety
tests against a real Redis (tests/integration/workers/attempt/test_safety.py): mostly-valid inputs with every
kind of nonsense mixed in."""

from __future__ import annotations

import math
from datetime import timezone
from typing import Any

from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from hooks.models.webhook import generate_secret, generate_signing_key

PROPERTY = hyp_settings(max_examples=200, deadline=None)

# Any character at all, lone surrogates and controls included.
_chars = st.characters(exclude_categories=())
text = st.text(_chars, max_size=24)
_float = st.floats(allow_nan=True, allow_infinity=True)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**80), max_value=2**80), _float, text,
    st.binary(max_size=8), st.complex_numbers(), st.datetimes(), st.decimals(allow_nan=True),
)  # fmt: skip
_keys = st.one_of(text, st.integers(), _float, st.none(), st.booleans(), st.binary(max_size=4),
                  st.tuples(st.integers()), st.frozensets(st.integers(), max_size=2))  # fmt: skip
_hashable = st.one_of(st.none(), st.booleans(), st.integers(), text, st.binary(max_size=4))


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


def _cyclic() -> dict[str, Any]:
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    return loop


json_ish = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_keys, inner, max_size=4),
        st.dictionaries(text, inner, max_size=4),
        st.tuples(inner, inner),
        st.sets(_hashable, max_size=3),
        st.frozensets(_hashable, max_size=3),
    ),
    max_leaves=12,
)
# Deep nesting (past the recursion limit too), cycles, and objects JSON knows nothing about.
anything = st.one_of(
    json_ish,
    st.builds(_nested, st.integers(min_value=0, max_value=5000), json_ish),
    st.builds(_cyclic),
    st.builds(object),
    st.just(math.nan),
    st.just(range(3)),
)


def mostly(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` seven times in eight, so that most examples get past the first check to the later ones."""
    return st.integers(min_value=0, max_value=7).flatmap(lambda i: invalid if i == 0 else valid)


_segment = st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True)
_event_type = st.lists(_segment, min_size=1, max_size=4).map(".".join)
event_types = mostly(_event_type, st.one_of(text, st.text(st.sampled_from("ab._*#"), max_size=300), anything))
_name = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", fullmatch=True)
names = mostly(_name, st.one_of(text, anything))
_pattern = st.lists(st.sampled_from(["a", "*", "#", "b_2"]), min_size=1, max_size=4).map(".".join)
patterns = mostly(_pattern, text)
_data = st.dictionaries(text, json_ish, max_size=5)


@st.composite
def event_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of `publish_event`, mostly valid, each argument sometimes anything at all."""
    kwargs: dict[str, Any] = {
        "event_type": draw(event_types),
        "data": draw(mostly(_data, st.one_of(st.dictionaries(_keys, anything, max_size=3),
                                             st.builds(lambda v: {"deep": v}, anything), anything))),
    }  # fmt: skip
    optional = {
        "stack": names,
        "branch": names,
        "channels": mostly(st.lists(_event_type, max_size=4),
                           st.one_of(st.lists(event_types, max_size=40), st.sets(_segment, max_size=3), text, anything)),
        "summary": mostly(st.one_of(st.none(), _data), anything),
        "idempotency_key": mostly(st.one_of(st.none(), st.text(min_size=1, max_size=40)),
                                  st.one_of(text, st.text(_chars, min_size=250, max_size=260), anything)),
    }  # fmt: skip
    for name, strategy in optional.items():
        if draw(st.booleans()):
            kwargs[name] = draw(strategy)
    return kwargs


_utc = st.datetimes(timezones=st.just(timezone.utc))
_times = mostly(_utc, st.one_of(st.datetimes(), text, anything))
secrets = mostly(st.builds(generate_secret), st.one_of(text.map(lambda t: "whsec_" + t), text, anything))
_header_names = mostly(st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True),
                       st.one_of(st.sampled_from(["Host", "authorization", "webhook-id", "X Bad", ""]), text))  # fmt: skip
auth = mostly(
    st.one_of(
        st.none(),
        st.fixed_dictionaries({"type": st.just("basic"), "username": text, "password": text}),
        st.fixed_dictionaries({"type": st.just("bearer"), "token": text}),
    ),
    anything,
)
_retry = mostly(
    st.fixed_dictionaries({}, optional={k: st.one_of(_float, st.integers(min_value=-5, max_value=200))
                                        for k in ("base_s", "factor", "max_delay_s", "jitter", "max_attempts")}),
    anything,
)  # fmt: skip
old_secrets = mostly(st.lists(st.fixed_dictionaries({"secret": secrets, "expires_at": _times}), max_size=2), anything)
WEBHOOK_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": mostly(text, anything),
    "stack": names,
    "branches": mostly(
        st.lists(st.one_of(_name, st.just("*")), min_size=1, max_size=3),
        st.one_of(st.lists(names, max_size=3), anything),
    ),
    "headers": mostly(st.dictionaries(_header_names, text, max_size=3), anything),
    "auth": auth,
    "secret": secrets,
    "old_secrets": old_secrets,
    "signing_key": mostly(
        st.one_of(st.none(), st.builds(generate_signing_key)), st.one_of(text.map(lambda t: "whsk_" + t), anything)
    ),
    "concise": mostly(st.booleans(), anything),
    "enabled": mostly(st.booleans(), anything),
    "disabled_reason": mostly(st.one_of(st.none(), text), anything),
    "disabled_at": mostly(st.one_of(st.none(), _utc), _times),
    "retry_policy": mostly(st.sampled_from(["auto", "manual"]), st.one_of(text, anything)),
    "retry": _retry,
    "description": mostly(text, anything),
    "updated_at": _times,
}
_NOT_GIVEN_FIELDS = {"id": st.one_of(text, anything), "created_at": _times, "bogus": anything}


@st.composite
def webhook_fields(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword fields of `create_webhook` besides url and events: a few fields, sometimes one that cannot be given."""
    chosen = draw(st.lists(st.sampled_from(sorted(WEBHOOK_FIELDS)), max_size=6, unique=True))
    fields = {name: draw(WEBHOOK_FIELDS[name]) for name in chosen}
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        name = draw(st.sampled_from(sorted(_NOT_GIVEN_FIELDS)))
        fields[name] = draw(_NOT_GIVEN_FIELDS[name])
    return fields


urls = mostly(
    st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}", st.sampled_from(["http", "https"]),
              st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,2}\.test", fullmatch=True),
              mostly(st.from_regex(r"[A-Za-z0-9/_.~%-]{0,20}(\?[a-z0-9=&]{0,10})?", fullmatch=True), text)),
    st.one_of(
        st.sampled_from(["http://127.0.0.1:8000/x", "https://[::1]/", "ftp://a.test/", "https://user:pw@a.test/",
                         "https://a.test:99999/", "http://0x7f.1/", "//a.test/", "http://169.254.169.254/"]),
        text,
        anything,
    ),
)  # fmt: skip
events_lists = mostly(st.lists(_pattern, min_size=1, max_size=3), st.one_of(st.lists(patterns, max_size=3), anything))
