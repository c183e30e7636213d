"""Messages of the old per-item tasks, queued before an upgrade, still get their work done (workers/legacy/)."""

from __future__ import annotations

import json
import time

import pytest

import hooks
from hooks.models.ids import delivery_id
from hooks.store.connection import get_redis
from hooks.store.drain_message import ARG, TASK_ID, message_template
from hooks.store.keys import DELIVERIES_QUEUE, EVENTS_QUEUE, Keys
from tests.conftest import wait_for

pytestmark = pytest.mark.usefixtures("worker")


def push_old_message(task: str, queue: str, arg: str) -> None:
    """A message exactly as the old `apply_async` left it on the queue."""
    msg = message_template(task, queue).replace(TASK_ID, f"old-{arg}").replace(ARG, arg)
    assert json.loads(msg)["headers"]["task"] == task
    get_redis().lpush(queue, msg)


def test_an_old_fan_out_message_fans_its_event_out(settings, receiver):
    # Given an event published before its webhook existed (so nothing was sent)
    event_id = hooks.publish_event("e.old", {"n": 1})
    wait_for(lambda: get_redis().llen(Keys(settings).fanout) == 0, what="the event to be fanned out")
    hooks.create_webhook(receiver.url + "/fan", ["e.old"])
    # When an old fan_out message for it arrives on the events queue
    push_old_message("workers.tasks.fan_out", EVENTS_QUEUE, event_id)
    # Then the drains fan it out again, to the webhook that exists now
    got = wait_for(lambda: receiver.requests_to("/fan"), what="the delivery")
    assert json.loads(got[0].body)["id"] == event_id


def test_an_old_deliver_message_sends_its_delivery(settings, receiver):
    # Given a pending delivery created the old way, with no drain knowing of it
    event_id = hooks.publish_event("e.older", {"n": 2})
    wh = hooks.create_webhook(receiver.url + "/deliver", ["e.older"])
    msg_id = delivery_id(event_id, wh.id)
    now = time.time()
    get_redis().hset(Keys(settings).delivery(msg_id), mapping={
        "event_id": event_id, "webhook_id": wh.id, "status": "pending", "attempts": 0, "round_attempts": 0,
        "created_at": now, "updated_at": now})  # fmt: skip
    # When an old deliver message for it arrives
    push_old_message("workers.tasks.deliver", DELIVERIES_QUEUE, msg_id)
    # Then it is sent, once, with its stable webhook-id
    wait_for(lambda: receiver.ids_at("/deliver") == [msg_id], what="the delivery")
    wait_for(lambda: hooks.get_delivery(msg_id).status == "delivered", what="the delivery to be recorded")
