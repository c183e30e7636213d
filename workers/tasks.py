"""Thin Celery tasks: unpack the argument, call the plain function, let Celery ack."""

from __future__ import annotations

from hooks.settings import get_settings
from hooks.store.connection import get_redis
from workers.app import app
from workers.drain.drain import drain as run_drain


@app.task(name="workers.tasks.drain", ignore_result=True)
def drain(token: str) -> str:
    """Fan out events and send deliveries until none are left or the time slice is over (workers/drain/)."""
    settings = get_settings()
    return run_drain(token, settings, get_redis(settings))
