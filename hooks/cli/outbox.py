"""`hooks outbox migrate|status|failed|retry|purge`: the outbox tables in the app's database (HOOKS_OUTBOX_URL)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy.exc

from hooks.cli.output import EXIT_OK, command, print_json, print_pairs, print_table
from hooks.errors import ConfigurationError, HooksError, ValidationError
from hooks.outbox.admin import list_failed, outbox_status, purge_failed, retry_failed
from hooks.outbox.schema import check_tables, make_outbox_engine, migrate, safe_db
from hooks.settings import get_settings


def add_parsers(sub: Any) -> None:
    """The `hooks outbox ...` commands."""
    group = sub.add_parser("outbox", help="the outbox tables in the app's database: migrate, status, failed rows")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    m = command(cmds, "migrate", cmd_migrate, "create or upgrade hooks_outbox and hooks_outbox_failed (safe to rerun)")
    m.add_argument("--url", help="the app's database URL (default: HOOKS_OUTBOX_URL)")
    command(
        cmds, "status", cmd_status, "rows waiting for the relay, the oldest one's age, rows set aside", with_json=True
    )
    f = command(cmds, "failed", cmd_failed, "the rows the relay set aside, with their errors", with_json=True)
    f.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    for name, handler, text in (
        ("retry", cmd_retry, "put set-aside rows back in the outbox for the relay"),
        ("purge", cmd_purge, "delete set-aside rows for good"),
    ):
        p = command(cmds, name, handler, text)
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("id", nargs="?", help="the row's id (from `hooks outbox failed`)")
        which.add_argument("--all", action="store_true", help="every set-aside row")


def _engine(url: str | None = None, *, migrated: bool = True) -> Any:
    """The outbox database's engine; raises ConfigurationError without a URL, HooksError when the database does
    not answer, ConfigurationError naming what to run when its tables are missing (unless `migrated` is False)."""
    url = url or get_settings().outbox_url
    if not url:
        raise ConfigurationError(
            "HOOKS_OUTBOX_URL: not set; give the app's database URL (postgresql://..., sqlite:///app.db), or --url."
        )
    engine = make_outbox_engine(url)
    with answering(engine):
        if migrated:
            check_tables(engine)
    return engine


@contextlib.contextmanager
def answering(engine: Any) -> Iterator[None]:
    """Turn the outbox database not answering into one line that names it (not the history's)."""
    try:
        yield
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
        first = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0][:200]
        raise HooksError(f"the outbox database {safe_db(engine)} cannot be reached ({first}).") from None


def cmd_migrate(args: argparse.Namespace) -> int:
    """`hooks outbox migrate`: create or upgrade the tables; raises ConfigurationError without a URL."""
    engine = _engine(args.url, migrated=False)
    with answering(engine):
        before, after = migrate(engine)
    print(
        f"outbox tables in {safe_db(engine)} at revision {after}"
        + (f" (was {before or 'none'})" if before != after else " (already)")
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """`hooks outbox status`."""
    engine = _engine()
    with answering(engine):
        data = outbox_status(engine)
    if args.json:
        print_json(data)
        return EXIT_OK
    print_pairs(status_pairs(data))
    return EXIT_OK


def status_pairs(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The outbox's lines of `hooks status` and `hooks outbox status`."""
    age = data["oldest_age_s"]
    waiting = f"{data['waiting']}{'+' if data['waiting'] >= 100_000 else ''} events"
    return [
        ("outbox", data["database"]),
        ("  waiting for the relay", waiting + (f", oldest {age:.1f} s" if age else "")),
        ("  set aside (failed)", f"{data['failed']}" + (": see `hooks outbox failed`" if data["failed"] else "")),
    ]


def cmd_failed(args: argparse.Namespace) -> int:
    """`hooks outbox failed`."""
    engine = _engine()
    with answering(engine):
        found = list_failed(engine, limit=max(1, args.limit))
    if args.json:
        print_json([r.to_dict() for r in found])
        return EXIT_OK
    rows = [[str(r.id), r.event_id, r.event_type, r.stack, r.to_dict()["failed_at"], r.error] for r in found]
    print_table(["ID", "EVENT", "TYPE", "STACK", "FAILED AT", "ERROR"], rows, empty="no failed outbox rows.")
    return EXIT_OK


def cmd_retry(args: argparse.Namespace) -> int:
    """`hooks outbox retry ID|--all`; raises NotFoundError for an unknown id."""
    n = _on_failed(args, retry_failed)
    print(f"put {n} row{'s' if n != 1 else ''} back in the outbox")
    return EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    """`hooks outbox purge ID|--all`; raises NotFoundError for an unknown id."""
    n = _on_failed(args, purge_failed)
    print(f"deleted {n} set-aside row{'s' if n != 1 else ''}")
    return EXIT_OK


def _on_failed(args: argparse.Namespace, action: Callable[[Any, int | None], int]) -> int:
    """Run `action` on the set-aside row named (or all of them); returns how many it touched."""
    row_id, engine = _row_id(args), _engine()
    with answering(engine):
        return action(engine, row_id)


def _row_id(args: argparse.Namespace) -> int | None:
    if args.all:
        return None
    try:
        return int(args.id)
    except ValueError:
        raise ValidationError(f"id: expected a row id (a whole number), got {args.id!r}.") from None
