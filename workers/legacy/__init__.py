"""Compatibility shim: the tasks of the per-item pipeline that came before the drains (remove in 0.3).

Messages of `workers.tasks.fan_out(event_id)` and `workers.tasks.deliver(delivery_id)` queued by an older
version may still wait on the `events` and `deliveries` queues when workers are upgraded. Without these tasks
Celery would discard them as unregistered and their work would be lost; with them, each hands its id to the
drains (`requeue.lua`): an event goes back on the fan-out list, a delivery on its webhook's ready list. Nothing
publishes these messages any more. Remove this package (and the `events` queue from the Procfile) once no
deployment has them left: `redis-cli LLEN events` is 0 and no `deliver` message sits on `deliveries`.
"""

from __future__ import annotations

import time

from hooks.models.ids import split_delivery_id
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from hooks.store.kick import kick_args
from hooks.store.scripts import beside
from workers.app import app

_REQUEUE = beside(__file__, "requeue")


@app.task(name="workers.tasks.fan_out", ignore_result=True)
def fan_out(event_id: str) -> int:
    """An old message to fan out one event: queue the event for the drains' fan-out."""
    if not isinstance(event_id, str) or not event_id.startswith("evt_"):
        raise ValueError(f"event_id: not an event id: {event_id!r}")
    return requeue("event", event_id)


@app.task(name="workers.tasks.deliver", ignore_result=True)
def deliver(delivery_id: str) -> int:
    """An old message to send one delivery: make it ready for the drains."""
    split_delivery_id(delivery_id)  # raises ValueError for anything that is not a delivery id
    return requeue("delivery", delivery_id)


def requeue(kind: str, item_id: str) -> int:
    """Hand an event ('event') or a delivery ('delivery') to the drains and kick one; returns 1."""
    settings = get_settings()
    return int(_REQUEUE.run(get_redis(settings), *kick_args(settings, time.time()), kind, item_id))
