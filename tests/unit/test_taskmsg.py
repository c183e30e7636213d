"""Messages we write straight into Redis are ones kombu and Celery decode as ordinary tasks."""

import json

from kombu.transport.virtual.base import Channel

from hooks.taskmsg import DELIVER_TASK, task_message


def test_a_written_message_decodes_to_the_task_and_its_id_argument():
    raw = json.loads(task_message(DELIVER_TASK, "msg_ABC_DEF", "deliveries"))
    assert raw["headers"]["task"] == DELIVER_TASK
    assert raw["properties"]["delivery_info"]["routing_key"] == "deliveries"
    body = Channel.decode_body(None, raw["body"], raw["properties"].get("body_encoding"))
    args, kwargs, embed = json.loads(body)
    assert args == ["msg_ABC_DEF"] and kwargs == {} and embed["chain"] is None


def test_every_message_has_its_own_task_id_and_delivery_tag():
    a, b = (json.loads(task_message(DELIVER_TASK, "x", "q")) for _ in range(2))
    assert a["headers"]["id"] != b["headers"]["id"]
    assert a["properties"]["delivery_tag"] == a["headers"]["id"]
