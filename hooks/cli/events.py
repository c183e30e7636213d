"""`hooks events`, `hooks event show|purge` and `hooks erase`: events, and removing payloads (privacy requests)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hooks.cli.deliveries import last_result
from hooks.cli.output import (
    EXIT_OK,
    command,
    iso,
    paging_options,
    parse_time,
    print_json,
    print_page,
    print_pairs,
    print_table,
)
from hooks.deliveries.events import EventInfo, erase_event, erase_stack, get_event, list_events
from hooks.errors import NotFoundError
from hooks.models.times import delivery_json


def add_parsers(sub: Any) -> None:
    """`hooks events`, the `hooks event ...` commands and `hooks erase`."""
    lst = command(sub, "events", cmd_events, "list events, newest first (in flight and finished)", with_json=True)
    lst.add_argument("--stack", help="only this stack's events")
    paging_options(lst, limit=50)
    group = sub.add_parser("event", help="show an event with its deliveries, or remove its payload")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(cmds, "show", cmd_event_show, "an event, its payload and its deliveries", with_id=True, with_json=True)
    command(cmds, "purge", cmd_event_purge, "remove an event's payload from Redis and the history", with_id=True)
    erase = command(sub, "erase", cmd_erase, "remove the payloads of a stack's events (a privacy request)")
    erase.add_argument("--stack", required=True)
    erase.add_argument("--before", metavar="TIME", help="only events published before: ISO 8601 or an age (7d)")


def cmd_events(args: argparse.Namespace) -> int:
    """`hooks events`; raises ValidationError on a bad filter or cursor."""
    page = list_events(stack=args.stack, limit=args.limit, cursor=args.cursor)
    print_page(page, as_json=args.json, item_json=event_json, headers=["ID", "TYPE", "STACK", "BRANCH", "STATE",
               "PUBLISHED"], row=lambda e: [e.id, e.type, e.stack, e.branch, _state(e), iso(e.published_at) or ""],
               empty="no events.")  # fmt: skip
    return EXIT_OK


def cmd_event_show(args: argparse.Namespace) -> int:
    """`hooks event show`; raises NotFoundError."""
    event = get_event(args.id)
    if args.json:
        print_json(event_json(event))
        return EXIT_OK
    payload = "erased" if event.erased_at else json.dumps(event.body) if event.body is not None else "-"
    print_pairs([("id", event.id), ("type", event.type), ("stack", event.stack), ("branch", event.branch),
                 ("channels", ", ".join(event.channels)), ("state", _state(event)),
                 ("published", iso(event.published_at)), ("payload", payload)])  # fmt: skip
    print()
    rows = [[d.id, d.webhook_id, d.status, str(d.attempts), last_result(d), d.reason or ""] for d in event.deliveries]
    print_table(["DELIVERY", "WEBHOOK", "STATUS", "ATTEMPTS", "LAST", "REASON"], rows, empty="no deliveries (yet).")
    return EXIT_OK


def cmd_event_purge(args: argparse.Namespace) -> int:
    """`hooks event purge`: remove the payload; raises NotFoundError."""
    if not erase_event(args.id):
        raise NotFoundError(f"event {args.id} does not exist.")
    print(f"removed the payload of {args.id} (its record and deliveries are kept)")
    return EXIT_OK


def cmd_erase(args: argparse.Namespace) -> int:
    """`hooks erase --stack S [--before T]`; raises ValidationError."""
    before = parse_time(args.before, field="--before") if args.before else None
    print(f"removed the payloads of {erase_stack(args.stack, before=before)} events of stack {args.stack}")
    return EXIT_OK


def event_json(event: EventInfo) -> dict[str, Any]:
    """An event as JSON-ready data, times in UTC ISO 8601."""
    data = event.to_dict()
    data["published_at"], data["erased_at"] = iso(event.published_at), iso(event.erased_at)
    data["deliveries"] = [delivery_json(d, with_log=False) for d in event.deliveries]
    return data


def _state(event: EventInfo) -> str:
    if event.state == "in_flight":
        return f"in flight ({event.open_deliveries} open)"
    return {"waiting": "waiting for fan-out"}.get(event.state, event.state)
