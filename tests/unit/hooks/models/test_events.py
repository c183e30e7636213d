"""Every bad input to publish_event is refused with one sentence naming the field, before Redis is touched."""

import json

import pytest

from hooks.errors import ValidationError
from hooks.models.event import build_event

LIMIT = 256 * 1024


def build(*args, **kwargs):
    return build_event(*args, max_bytes=kwargs.pop("max_bytes", LIMIT), **kwargs)


def test_a_good_event_has_both_bodies_and_a_utc_timestamp():
    ev = build("content_types.entries.publish", {"uid": "u", "entry": {"a": 1}}, stack="blog", branch="dev",
               channels=["content_types.blog.entries.publish"])  # fmt: skip
    body, concise = json.loads(ev.body), json.loads(ev.concise_body)
    assert set(body) == {"id", "type", "timestamp", "stack", "branch", "data"}
    assert body["timestamp"].endswith("Z") and body["stack"] == "blog" and body["branch"] == "dev"
    assert concise["data"] == {"uid": "u"}
    assert ev.topics() == ("content_types.entries.publish", "content_types.blog.entries.publish")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"event_type": "Content.Publish"}, "event_type"),
        ({"event_type": "a..b"}, "event_type"),
        ({"event_type": ".a"}, "event_type"),
        ({"event_type": "a.b-c"}, "event_type"),
        ({"event_type": "a." * 130 + "a"}, "event_type"),
        ({"event_type": 42}, "event_type"),
        ({"data": [1, 2]}, "data"),
        ({"data": "text"}, "data"),
        ({"data": {"x": float("nan")}}, "data"),
        ({"data": {"x": object()}}, "data"),
        ({"data": {"x": "y" * LIMIT}}, "data"),
        ({"stack": ""}, "stack"),
        ({"stack": "a b"}, "stack"),
        ({"branch": "*"}, "branch"),
        ({"branch": None}, "branch"),
        ({"channels": "a.b"}, "channels"),
        ({"channels": ["A"]}, "channels[0]"),
        ({"channels": ["a"] * 33}, "channels"),
        ({"summary": [1]}, "summary"),
        ({"summary": {"x": {1, 2}}}, "summary"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 256}, "idempotency_key"),
        ({"idempotency_key": "a\nb"}, "idempotency_key"),
    ],
)
def test_bad_input_names_the_field_in_one_sentence(kwargs, field):
    args = {"event_type": "a.b", "data": {}, **kwargs}
    with pytest.raises(ValidationError) as info:
        build(args.pop("event_type"), args.pop("data"), **args)
    message = str(info.value)
    assert message.startswith(field + ":"), message
    assert message.count(". ") == 0 and message.endswith("."), message
    assert isinstance(info.value, ValueError)


def test_the_size_limit_is_a_setting():
    with pytest.raises(ValidationError, match="HOOKS_MAX_EVENT_BYTES"):
        build("a", {"x": "y" * 2000}, max_bytes=1024)


def test_duplicate_channels_are_kept_once():
    assert build("a", {}, channels=["b", "b", "c"]).channels == ("b", "c")
