"""`hooks status` (where the system stands), `hooks doctor` (what could lose work) and `hooks db upgrade|current`."""

from __future__ import annotations

import argparse
from typing import Any

from hooks.cli.outbox import status_pairs
from hooks.cli.output import EXIT_OK, command, print_json, print_pairs
from hooks.doctor import OK, examine
from hooks.history.connection import get_engine
from hooks.history.db import HISTORY, current_revision, head_revision, upgrade
from hooks.settings import get_settings
from hooks.status import status

EXIT_SCHEMA_OLD = 3
EXIT_DOCTOR_FOUND = 3


def add_parsers(sub: Any) -> None:
    """`hooks status` and the `hooks db ...` commands."""
    command(sub, "status", cmd_status, "Redis, the work in flight, the history's backlog and database", with_json=True)
    doctor = command(
        sub, "doctor", cmd_doctor, "what could lose work: persistence, eviction, replicas, the history", with_json=True
    )
    doctor.description = (
        "What in this deployment could lose work or stop it, one line per check (ok, warn or FAIL): Redis's "
        "version, persistence, eviction and replicas; the history's schema and the archiver's backlog."
    )
    doctor.epilog = (
        "exit status: 0 every check is ok; 3 at least one warns or fails, something to look at (a Redis without "
        "a replica is a warning); 2 a bad setting."
    )
    group = sub.add_parser("db", help="the history database's schema")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(cmds, "upgrade", cmd_db_upgrade, "migrate the schema to this version's revision (safe to run again)")
    current = command(
        cmds, "current", cmd_db_current, "the schema's revision and this version's (exit 3 if they differ)"
    )
    current.epilog = (
        "exit status: 0 the schema is this version's; 3 it is not, and the line says what to run "
        "(`hooks db upgrade`, or upgrade the package when the database is newer)."
    )


def cmd_status(args: argparse.Namespace) -> int:
    """`hooks status`; raises ConfigurationError on a bad setting."""
    data = status(get_settings())
    if args.json:
        print_json(data)
        return EXIT_OK
    redis, work, history = data["redis"], data["in_flight"], data["history"]
    memory = f"{redis['used_memory_bytes'] / 1e6:.1f} MB used" + (
        f" of {redis['maxmemory_bytes'] / 1e6:.0f} MB" if redis["maxmemory_bytes"] else "")  # fmt: skip
    age = history["oldest_age_s"]
    print_pairs([
        ("redis", f"{redis['url']} (Redis {redis['version']}, {memory}, policy {redis['maxmemory_policy']}, "
                  f"AOF {'on' if redis['aof_enabled'] else 'off'})"),
        ("waiting for fan-out", work["events_waiting_fan_out"]), ("events in flight", work["events"]),
        ("deliveries in flight", work["deliveries"]), ("  retrying", work["retrying"]),
        ("  being sent", work["being_sent"]), ("open breakers", work["open_breakers"]), ("drains", work["drains"]),
        ("history backlog", f"{history['backlog_entries']} entries" + (f", oldest {age:.1f} s" if age else "")),
        ("history database", _database_line(history)),
        *_outbox_lines(data["outbox"]),
    ])  # fmt: skip
    return EXIT_OK


def _outbox_lines(data: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if data is None:
        return [("outbox", "not set (HOOKS_OUTBOX_URL)")]
    if not data["reachable"]:
        return [("outbox", f"{data['database']}: not reachable ({data['error']})")]
    return status_pairs(data)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """`hooks db upgrade`: migrate to head; raises ConfigurationError without HOOKS_DATABASE_URL."""
    engine = get_engine()
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(f"history schema at {after}" + (f" (was {before or 'empty'})" if before != after else " (already)"))
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    """`hooks db current`: exit 0 when the schema is this version's, 3 when it is not."""
    current, head = current_revision(get_engine()), head_revision()
    hint = ""
    if current != head:
        newer = current is not None and current not in HISTORY.known()
        hint = ": the database is newer than this code, upgrade the package" if newer else ": run `hooks db upgrade`"
    print(f"history schema at {current or 'nothing (empty database)'}; this version needs {head}{hint}")
    return EXIT_OK if current == head else EXIT_SCHEMA_OLD


def _database_line(history: dict[str, Any]) -> str:
    if not history["database"]:
        return "not set (HOOKS_DATABASE_URL)"
    if not history["reachable"]:
        return f"{history['database']}: not reachable"
    revision, head = history["schema_revision"], history["schema_head"]
    verdict = "up to date" if revision == head else f"needs `hooks db upgrade` (code at {head})"
    return f"{history['database']}: schema {revision or 'empty'}, {verdict}"


def cmd_doctor(args: argparse.Namespace) -> int:
    """`hooks doctor`: exit 0 when every check is ok, 3 when one warns or fails."""
    findings = examine(get_settings())
    if args.json:
        print_json([{"level": f.level, "text": f.text} for f in findings])
    else:
        for f in findings:
            print(f"{f.level:<4}  {f.text}")
    return EXIT_OK if all(f.level == OK for f in findings) else EXIT_DOCTOR_FOUND
