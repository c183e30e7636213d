"""Thin Celery tasks: unpack the id, call the plain function in `hooks`, let Celery ack."""

from __future__ import annotations

from config import get_settings
from hooks.attempt import run_delivery
from hooks.connection import get_redis
from hooks.fanout import fan_out as fan_out_event
from workers.app import app


@app.task(name="workers.tasks.fan_out", ignore_result=True)
def fan_out(event_id: str) -> int:
    """Create and enqueue the deliveries of one event."""
    settings = get_settings()
    return fan_out_event(event_id, settings, get_redis(settings))


@app.task(name="workers.tasks.deliver", ignore_result=True)
def deliver(delivery_id: str) -> str:
    """Make one attempt at one delivery."""
    settings = get_settings()
    return run_delivery(delivery_id, settings, get_redis(settings))
