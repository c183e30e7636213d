"""`hooks deliveries` and `hooks delivery show|retry`."""

from __future__ import annotations

import argparse
from typing import Any

from hooks.cli.output import (
    EXIT_OK,
    command,
    iso,
    paging_options,
    print_json,
    print_page,
    print_pairs,
    print_table,
    snippet,
)
from hooks.deliveries.dlq import retry_now
from hooks.deliveries.query import get_delivery, list_deliveries
from hooks.models.times import delivery_json


def add_parsers(sub: Any) -> None:
    """`hooks deliveries` and the `hooks delivery ...` commands."""
    lst = command(sub, "deliveries", cmd_deliveries, "list deliveries, newest first", with_json=True)
    lst.add_argument("--webhook", metavar="ID")
    lst.add_argument("--event", metavar="ID")
    lst.add_argument("--status", choices=("delivered", "pending", "failed"))
    paging_options(lst, limit=50)
    group = sub.add_parser("delivery", help="show or retry one delivery")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(cmds, "show", cmd_delivery_show, "a delivery and every attempt", with_id=True, with_json=True)
    command(cmds, "retry", cmd_delivery_retry, "send a delivery again now, whatever its status", with_id=True)


def cmd_deliveries(args: argparse.Namespace) -> int:
    """`hooks deliveries`; raises ValidationError on a bad filter."""
    found = list_deliveries(webhook_id=args.webhook, event_id=args.event, status=args.status, limit=args.limit,
                            cursor=args.cursor)  # fmt: skip
    print_page(found, as_json=args.json, item_json=lambda d: delivery_json(d, with_log=False),
               headers=["ID", "STATUS", "ATTEMPTS", "LAST", "CREATED", "REASON"],
               row=lambda d: [d.id, d.status, str(d.attempts), last_result(d), iso(d.created_at) or "", d.reason or ""],
               empty="no deliveries.")  # fmt: skip
    return EXIT_OK


def cmd_delivery_show(args: argparse.Namespace) -> int:
    """`hooks delivery show`; raises NotFoundError."""
    print_delivery(get_delivery(args.id), as_json=args.json)
    return EXIT_OK


def cmd_delivery_retry(args: argparse.Namespace) -> int:
    """`hooks delivery retry`: send again now, whatever its status; raises NotFoundError."""
    d = retry_now(args.id)
    print(f"retrying {d.id} now (replay {d.replays}); watch it with: hooks delivery show {d.id}")
    return EXIT_OK


def print_delivery(d: Any, *, as_json: bool) -> None:
    """A delivery, its attempts and their response headers, as text or JSON."""
    if as_json:
        print_json(delivery_json(d, with_log=True))
        return
    print_pairs([
        ("id", d.id), ("event", d.event_id), ("webhook", d.webhook_id), ("status", d.status), ("reason", d.reason),
        ("attempts", f"{d.attempts} ({d.round_attempts} this round, {d.replays} replays)"),
        ("last result", last_result(d)), ("created", iso(d.created_at)), ("updated", iso(d.updated_at)),
        ("next attempt", iso(d.next_attempt_at)), ("dead-lettered", iso(d.dead_lettered_at)),
    ])  # fmt: skip
    print()
    rows = [[str(a.get("attempt", "")), iso(a.get("started_at")) or "", f"{a.get('duration_ms', 0):.0f}",
             str(a.get("status_code") or a.get("error") or "-"), "yes" if a.get("replay") else "no",
             str(a.get("outcome") or ""), snippet(a.get("response") or "")] for a in d.attempt_log]  # fmt: skip
    print_table(["#", "TIME", "MS", "RESULT", "REPLAY", "OUTCOME", "RESPONSE"], rows, empty="no attempts yet.")
    print_response_headers(d.attempt_log)


def print_response_headers(attempt_log: list[dict[str, Any]]) -> None:
    """Each attempt's response headers (bounded and redacted by the worker), under the table of attempts."""
    for a in attempt_log:
        pairs = a.get("response_headers") or []
        if pairs:
            print(f"\nresponse headers of attempt {a.get('attempt', '')}:")
            for name, value in pairs:
                print(f"  {name}: {value}")


def last_result(d: Any) -> str:
    return str(d.last_status or d.last_error or "-")
