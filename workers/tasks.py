"""Thin Celery tasks: unpack the argument, call the plain function in `hooks`, let Celery ack."""

from __future__ import annotations

from config import get_settings
from hooks.connection import get_redis
from hooks.drain import drain as run_drain
from hooks.drain import make_ready
from hooks.fanout import fan_out as fan_out_event
from workers.app import app


@app.task(name="workers.tasks.drain", ignore_result=True)
def drain(token: str) -> str:
    """Fan out events and send deliveries until none are left or the time slice is over (hooks/drain.py)."""
    settings = get_settings()
    return run_drain(token, settings, get_redis(settings))


@app.task(name="workers.tasks.fan_out", ignore_result=True)
def fan_out(event_id: str) -> int:
    """Create the deliveries of one event (drains do this in batches; kept for messages sent before them)."""
    settings = get_settings()
    return fan_out_event(event_id, settings, get_redis(settings))


@app.task(name="workers.tasks.deliver", ignore_result=True)
def deliver(delivery_id: str) -> int:
    """Make one delivery ready for the drains (kept for messages sent before them)."""
    settings = get_settings()
    return make_ready([delivery_id], settings, get_redis(settings))
