"""The outbox's two tables as Django models: the columns of hooks/outbox/tables.py, nothing more.

`publish_event` writes `hooks_outbox` with one raw INSERT (no model instance is built); the relay deletes its rows
once their events are in Redis, and moves a row it can never publish to `hooks_outbox_failed` with its error. The
models are here for the migration, the admin and queries of your own; write the outbox through `publish_event`.
"""

from __future__ import annotations

from django.db import models


class EventColumns(models.Model):
    """The event as `publish_event` stores it: validated, its id and time fixed, both bodies built."""

    event_id = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    event_type = models.CharField(max_length=255)
    stack = models.CharField(max_length=64)
    branch = models.CharField(max_length=64)
    channels = models.TextField(default="", blank=True, help_text="comma-joined")
    event_time = models.CharField(max_length=32, help_text="the event's timestamp, as its body has it")
    body = models.TextField(help_text="the JSON delivered to full webhooks")
    concise_body = models.TextField(help_text="the JSON delivered to concise webhooks")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class OutboxEvent(EventColumns):
    """An event committed with the app's changes and not yet in Redis."""

    id = models.BigAutoField(primary_key=True)

    class Meta:
        db_table = "hooks_outbox"
        ordering = ["id"]
        verbose_name = "outbox event"
        verbose_name_plural = "outbox events"


class FailedOutboxEvent(EventColumns):
    """An outbox row the relay can never publish, set aside with its error until retried or deleted."""

    id = models.BigIntegerField(primary_key=True, help_text="the outbox row's id")
    error = models.TextField()
    failed_at = models.DateTimeField()

    class Meta:
        db_table = "hooks_outbox_failed"
        ordering = ["id"]
        verbose_name = "failed outbox event"
        verbose_name_plural = "failed outbox events"
