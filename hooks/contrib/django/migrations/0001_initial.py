"""The outbox and its failed rows; on PostgreSQL, the trigger that NOTIFYs the relay when rows are committed.

The same tables as hooks/outbox/migrations/versions/0001_outbox_tables.py makes for apps without Django. The trigger
fires once per INSERT statement and PostgreSQL delivers its notification at commit (never for a rollback), so
`manage.py hooks_relay` wakes as soon as an event can be published.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from hooks.outbox.tables import drop_notify_trigger_sql, notify_trigger_sql


def _run_on_postgresql(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def _event_fields() -> list[tuple[str, Any]]:
    return [
        ("event_id", models.CharField(max_length=40)),
        ("idempotency_key", models.CharField(blank=True, max_length=255, null=True)),
        ("event_type", models.CharField(max_length=255)),
        ("stack", models.CharField(max_length=64)),
        ("branch", models.CharField(max_length=64)),
        ("channels", models.TextField(blank=True, default="", help_text="comma-joined")),
        ("event_time", models.CharField(help_text="the event's timestamp, as its body has it", max_length=32)),
        ("body", models.TextField(help_text="the JSON delivered to full webhooks")),
        ("concise_body", models.TextField(help_text="the JSON delivered to concise webhooks")),
    ]


class Migration(migrations.Migration):
    """Create hooks_outbox and hooks_outbox_failed (and the NOTIFY trigger on PostgreSQL)."""

    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="OutboxEvent",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False)), *_event_fields()],
            options={
                "verbose_name": "outbox event",
                "verbose_name_plural": "outbox events",
                "db_table": "hooks_outbox",
                "ordering": ["id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="FailedOutboxEvent",
            fields=[
                (
                    "id",
                    models.BigIntegerField(help_text="the outbox row's id", primary_key=True, serialize=False),
                ),
                *_event_fields(),
                ("error", models.TextField()),
                ("failed_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "failed outbox event",
                "verbose_name_plural": "failed outbox events",
                "db_table": "hooks_outbox_failed",
                "ordering": ["id"],
                "abstract": False,
            },
        ),
        migrations.RunPython(
            _run_on_postgresql(notify_trigger_sql()),
            _run_on_postgresql(drop_notify_trigger_sql()),
            elidable=False,
        ),
    ]
