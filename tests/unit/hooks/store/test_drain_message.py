"""Messages we write straight into Redis are ones kombu and Celery decode as ordinary tasks."""

import json

from kombu.transport.virtual.base import Channel

from hooks.store.drain_message import ARG, DRAIN_TASK, TASK_ID, message_template


def filled(token: str) -> dict:
    """The template filled in as the kick script does (hooks/kick.py)."""
    return json.loads(message_template(DRAIN_TASK, "deliveries").replace(TASK_ID, token).replace(ARG, token))


def test_a_written_message_decodes_to_the_task_and_its_argument():
    raw = filled("drain.42")
    assert raw["headers"]["task"] == DRAIN_TASK
    assert raw["headers"]["id"] == raw["properties"]["delivery_tag"] == "drain.42"
    assert raw["properties"]["delivery_info"]["routing_key"] == "deliveries"
    body = Channel.decode_body(None, raw["body"], raw["properties"].get("body_encoding"))
    args, kwargs, embed = json.loads(body)
    assert args == ["drain.42"] and kwargs == {} and embed["chain"] is None


def test_the_template_needs_no_escaping_inside_a_lua_long_string():
    assert "]==]" not in message_template(DRAIN_TASK, "deliveries")
