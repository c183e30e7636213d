"""Thin Celery tasks: unpack the argument, call the plain function, let Celery ack."""

from __future__ import annotations

from typing import Any

from hooks.models.test_event import SEND_TEST_TASK
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from workers.app import app
from workers.attempt import test_send
from workers.drain.drain import drain as run_drain


@app.task(name="workers.tasks.drain", ignore_result=True)
def drain(token: str) -> str:
    """Fan out events and send deliveries until none are left or the time slice is over (workers/drain/)."""
    settings = get_settings()
    return run_drain(token, settings, get_redis(settings))


@app.task(name=SEND_TEST_TASK, ignore_result=True)
def send_test(webhook_id: str, event_type: str, data: dict[str, Any] | None, reply_key: str) -> None:
    """A test send for the API waiting on `reply_key` (workers/attempt/test_send.py)."""
    settings = get_settings()
    test_send.reply(get_redis(settings), reply_key, test_send.send_test(webhook_id, event_type, data, settings))
