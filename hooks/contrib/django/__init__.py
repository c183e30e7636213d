"""Webhooks from a Django project: `publish_event` writes the event in the same transaction as the change it announces.

    INSTALLED_APPS = [..., "hooks.contrib.django"]       # then `manage.py migrate`: the outbox tables

    from django.db import transaction
    from hooks.contrib.django import publish_event

    with transaction.atomic():
        post = Post.objects.create(title=title)
        publish_event("blog.post.created", {"id": post.pk, "title": title}, stack="blog")

The event is one INSERT into `hooks_outbox` on the project's database: it commits or rolls back with the post, and
`manage.py hooks_relay` moves committed events to Redis. Outside `atomic()`, Django's autocommit commits it at once.
Settings come from `settings.HOOKS` over the environment (hooks/contrib/django/conf.py). Nothing here imports a model,
so this module may be imported before the apps are ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hooks.contrib.django import conf
from hooks.models.event import build_event
from hooks.outbox.tables import EVENT_COLUMNS
from hooks.outbox.write import insert_sql, row_of
from hooks.producer.publish import build_items

__all__ = ["publish_event", "publish_events"]

_INSERT = insert_sql("%s")  # Django's cursors take %s on every backend


def publish_event(
    event_type: str,
    data: Mapping[str, Any],
    *,
    stack: str = "default",
    branch: str = "main",
    channels: Iterable[str] = (),
    summary: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    using: str | None = None,
) -> str:
    """Write one event into the outbox of database `using` (default: HOOKS_OUTBOX_DATABASE), in its current
    transaction; returns the event's id.

    The options are `hooks.publish_event`'s. Raises ValidationError (a ValueError) naming the bad field, nothing
    written then; ConfigurationError when the project's hooks settings are invalid (what hooks.E001 reports); a
    database error is the caller's, as for any query of theirs.
    """
    config = conf.current()
    event = build_event(
        event_type,
        data,
        stack=stack,
        branch=branch,
        channels=channels,
        summary=summary,
        idempotency_key=idempotency_key,
        max_bytes=config.settings.max_event_bytes,
    )
    _insert(using or config.outbox_database, [_params(row_of(event))])
    return event.id


def publish_events(events: Iterable[Mapping[str, Any]], *, using: str | None = None) -> list[str]:
    """Write many events into the outbox in one statement, all or none; returns their ids in order.

    Each item is a mapping of `publish_event`'s arguments, as for `hooks.publish_events`. Raises ValidationError
    naming the item and field (nothing written then), ConfigurationError as `publish_event` does.
    """
    config = conf.current()
    built = build_items(events, config.settings)
    if built:
        _insert(using or config.outbox_database, [_params(row_of(event)) for event in built])
    return [event.id for event in built]


def _params(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in EVENT_COLUMNS)


def _insert(alias: str, params: list[tuple[Any, ...]]) -> None:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        if len(params) == 1:
            cursor.execute(_INSERT, params[0])
        else:
            cursor.executemany(_INSERT, params)
