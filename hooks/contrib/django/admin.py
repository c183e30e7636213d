"""The outbox in the Django admin: the rows set aside with their error (put back or deleted from there), and the
rows waiting for the relay, read-only (a row edited or deleted there would change or lose an event)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction

from hooks.contrib.django.models import FailedOutboxEvent, OutboxEvent
from hooks.outbox.tables import EVENT_COLUMNS

_EVENT_FIELDS = ("id", *EVENT_COLUMNS)


class ReadOnly(admin.ModelAdmin):
    """Rows are shown, never added or edited by hand."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        """Events are written by publish_event only."""
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        """A row changed by hand would no longer be the event its id names."""
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnly):
    """Events committed and not yet in Redis: the relay's backlog."""

    list_display = ("id", "event_id", "event_type", "stack", "branch", "event_time")
    list_filter = ("stack", "branch")
    search_fields = ("event_id", "event_type", "idempotency_key")
    fields = _EVENT_FIELDS

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        """A row deleted here is an event lost; the relay deletes rows once they are in Redis."""
        return False


@admin.register(FailedOutboxEvent)
class FailedOutboxEventAdmin(ReadOnly):
    """Rows the relay could never publish, with the error that says why."""

    list_display = ("id", "event_type", "stack", "branch", "failed_at", "short_error")
    list_filter = ("stack", "failed_at")
    search_fields = ("event_id", "event_type", "error")
    fields = (*_EVENT_FIELDS, "error", "failed_at")
    actions = ["put_back"]

    @admin.display(description="error")
    def short_error(self, obj: FailedOutboxEvent) -> str:
        """The error's first 120 characters."""
        return obj.error if len(obj.error) <= 120 else obj.error[:119] + "…"

    @admin.action(description="Put back in the outbox (the relay tries them again)", permissions=["delete"])
    def put_back(self, request: Any, queryset: Any) -> None:
        """Move the selected rows back to the outbox, as `hooks outbox retry` does."""
        with transaction.atomic(using=queryset.db):
            picked = list(queryset.select_for_update().order_by("id"))
            OutboxEvent.objects.using(queryset.db).bulk_create(
                [OutboxEvent(**{c: getattr(row, c) for c in EVENT_COLUMNS}) for row in picked]
            )
            queryset.filter(pk__in=[row.pk for row in picked]).delete()
        self.message_user(request, f"{len(picked)} put back in the outbox.", messages.SUCCESS)
