"""The outbox's two tables in the application's database, as SQLAlchemy Core sees them (the Django app's models
in hooks/contrib/django/models.py declare the same columns).

`hooks_outbox` holds events written inside the app's transactions and not yet in Redis; the relay deletes a row
once its event is. `hooks_outbox_failed` holds the rows the relay can never publish (an event that grew past
HOOKS_MAX_EVENT_BYTES after a settings change, say), each with its error, until an operator retries or purges it.
A row carries the event as `publish_event` would store it: validated, its id and time fixed, both bodies built.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

OUTBOX_TABLE = "hooks_outbox"
FAILED_TABLE = "hooks_outbox_failed"
NOTIFY_CHANNEL = "hooks_outbox"  # PostgreSQL: a trigger NOTIFYs it when rows are committed, the relay LISTENs

# The event's columns, in the order the relay hands them to the publish script (hooks/producer/publish.lua).
EVENT_COLUMNS = (
    "event_id",
    "idempotency_key",
    "event_type",
    "stack",
    "branch",
    "channels",
    "event_time",
    "body",
    "concise_body",
)

metadata = MetaData()

# SQLite makes an INTEGER PRIMARY KEY the rowid (autoincrementing); a BIGINT one it would not.
_ID = BigInteger().with_variant(Integer(), "sqlite")


def _event_columns() -> list[Column[object]]:
    return [
        Column("event_id", String(40), nullable=False),
        Column("idempotency_key", String(255)),
        Column("event_type", String(255), nullable=False),
        Column("stack", String(64), nullable=False),
        Column("branch", String(64), nullable=False),
        Column("channels", Text, nullable=False, default=""),  # comma-joined
        Column("event_time", String(32), nullable=False),  # the event's `timestamp`, as its body has it
        Column("body", Text, nullable=False),  # the JSON delivered to full webhooks
        Column("concise_body", Text, nullable=False),  # ... and to concise ones
    ]


# SQLite: AUTOINCREMENT, or a deleted row's id is given again (and the failed table is keyed by the outbox's ids).
outbox = Table(
    OUTBOX_TABLE,
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    *_event_columns(),
    sqlite_autoincrement=True,
)

failed = Table(
    FAILED_TABLE,
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=False),  # the outbox row's id
    *_event_columns(),
    Column("error", Text, nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
)


def notify_trigger_sql() -> list[str]:
    """PostgreSQL: the function and statement-level trigger that NOTIFY the relay when rows are committed (both
    the Alembic revision and the Django migration run these)."""
    return [
        f"CREATE OR REPLACE FUNCTION {OUTBOX_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END $$",
        f"CREATE TRIGGER {OUTBOX_TABLE}_notify AFTER INSERT ON {OUTBOX_TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {OUTBOX_TABLE}_notify()",
    ]


def drop_notify_trigger_sql() -> list[str]:
    """PostgreSQL: undo `notify_trigger_sql`."""
    return [
        f"DROP TRIGGER IF EXISTS {OUTBOX_TABLE}_notify ON {OUTBOX_TABLE}",
        f"DROP FUNCTION IF EXISTS {OUTBOX_TABLE}_notify()",
    ]
