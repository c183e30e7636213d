"""The Celery app: Redis broker, at-least-once settings, three queues (`deliveries`; `tests`, test sends;
`events` for old messages)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_shutting_down
from kombu import Queue

from hooks.models.test_event import SEND_TEST_TASK
from hooks.settings import get_settings
from hooks.settings.redis_url import SENTINEL_SCHEME, parse_sentinel_url
from hooks.store.keys import DELIVERIES_QUEUE, EVENTS_QUEUE, TESTS_QUEUE
from workers import kombu_patch

log = logging.getLogger("workers")


def make_app() -> Celery:
    """Build the Celery app from the settings."""
    settings = get_settings()
    broker, sentinel_options = broker_url(settings.redis_url)
    # no fix-ups: with DJANGO_SETTINGS_MODULE exported (an app's environment), Celery's Django fix-up would load the
    # app's project into our worker, whose settings are the environment's alone
    app = Celery("hooks", broker=broker, include=["workers.tasks", "workers.legacy"], fixups=[])
    app.conf.update(
        task_acks_late=True,  # a task is acknowledged after it ran: a killed worker loses nothing
        task_reject_on_worker_lost=True,  # ... and its task goes back on the queue
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_queues=[
            Queue(EVENTS_QUEUE, routing_key=EVENTS_QUEUE),
            Queue(DELIVERIES_QUEUE, routing_key=DELIVERIES_QUEUE),
            Queue(TESTS_QUEUE, routing_key=TESTS_QUEUE),
        ],
        task_default_queue=DELIVERIES_QUEUE,
        task_routes={
            "workers.tasks.fan_out": {"queue": EVENTS_QUEUE},
            "workers.tasks.deliver": {"queue": DELIVERIES_QUEUE},
            "workers.tasks.drain": {"queue": DELIVERIES_QUEUE},
            SEND_TEST_TASK: {"queue": TESTS_QUEUE},  # hooks/api/ping.py pushes it there itself
        },
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # above the longest task (a drain's slice plus one request), so a lost task comes back soon
            "visibility_timeout": max(settings.visibility_timeout_s, int(settings.lease_s) + 5),
            "max_connections": settings.worker_concurrency * 2 + 10,
            # kombu 5.7 sweeps abandoned (unacked) messages every interval x throttle = 100 s by default;
            # sweep at about a fifth of the visibility timeout instead, so a killed worker's tasks return soon.
            "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 5)),
            "unacked_restore_throttle": 1,
            # a worker killed while it held the sweep's mutex would otherwise block every sweep for 5 minutes
            "unacked_mutex_expire": max(5, settings.visibility_timeout_s),
            **sentinel_options,
        },
        worker_eta_task_limit=100,  # we never use ETAs; a guard against someone who does
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app


def broker_url(redis_url: str) -> tuple[str, dict[str, Any]]:
    """The broker URL for kombu, and the transport options a Sentinel-managed primary needs (its name)."""
    if not redis_url.startswith(SENTINEL_SCHEME):
        return redis_url, {}
    parsed = parse_sentinel_url(redis_url)
    return parsed.kombu_url(), {"master_name": parsed.master,
                                "sentinel_kwargs": {"password": parsed.sentinel_password}}  # fmt: skip


kombu_patch.apply()  # a worker survives Redis dying under it (workers/kombu_patch.py says why)
app = make_app()


@worker_shutting_down.connect
def _hand_over(**_: Any) -> None:
    """A worker told to stop (SIGTERM, a deploy): its drains hand over after their batch, not after their slice."""
    from workers.drain.drain import stopping

    stopping.set()


@worker_init.connect
def _check_history(**_: Any) -> None:
    """A worker refuses to start without HOOKS_DATABASE_URL or on an old history schema, in one line."""
    from hooks.doctor import OK, redis_findings
    from hooks.errors import HooksError
    from hooks.history.startup import check_at_start

    try:
        check_at_start(get_settings(), "worker")
    except HooksError as exc:
        raise SystemExit(f"worker: {exc}") from None
    for finding in redis_findings(get_settings()):
        if finding.level != OK:
            log.warning("worker: %s", finding.text)
