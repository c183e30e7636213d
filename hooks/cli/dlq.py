"""`hooks dlq list|show|replay|purge`: the dead-letter queue."""

from __future__ import annotations

import argparse
from typing import Any

from hooks.cli.deliveries import last_result, print_delivery
from hooks.cli.output import EXIT_OK, command, iso, paging_options, parse_time, print_page
from hooks.deliveries.dlq import get_dead, list_dead, purge, purge_many, replay, replay_many
from hooks.errors import ValidationError
from hooks.models.times import delivery_json


def add_parsers(sub: Any) -> None:
    """The `hooks dlq ...` commands."""
    group = sub.add_parser("dlq", help="the dead-letter queue: list, show, replay, purge")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    lst = command(cmds, "list", cmd_dlq_list, "dead-lettered deliveries, newest first", with_json=True)
    lst.add_argument("--webhook", metavar="ID")
    lst.add_argument("--since", metavar="TIME", help="ISO 8601 (2026-11-28T10:00:00Z) or an age (30m, 2h, 7d)")
    paging_options(lst, limit=100)
    command(cmds, "show", cmd_dlq_show, "a dead-lettered delivery and its attempts", with_id=True, with_json=True)
    for name, handler, text in (("replay", cmd_dlq_replay, "send again, with a fresh round of attempts"),
                                ("purge", cmd_dlq_purge, "drop from the queue (the record and attempts stay)")):  # fmt: skip
        which = command(cmds, name, handler, text).add_mutually_exclusive_group()
        which.add_argument("id", nargs="?", help="one delivery")
        which.add_argument("--webhook", metavar="ID", help="every dead delivery of this webhook")
        which.add_argument("--all", action="store_true", help="every dead delivery")


def cmd_dlq_list(args: argparse.Namespace) -> int:
    """`hooks dlq list`; raises ValidationError on a bad --since or --limit."""
    since = parse_time(args.since, field="--since") if args.since is not None else None
    found = list_dead(webhook_id=args.webhook, since=since, limit=args.limit, cursor=args.cursor)
    print_page(found, as_json=args.json, item_json=lambda d: delivery_json(d, with_log=False),
               headers=["ID", "WEBHOOK", "REASON", "ATTEMPTS", "LAST", "DEAD-LETTERED"],
               row=lambda d: [d.id, d.webhook_id, d.reason or "", str(d.attempts), last_result(d),
                              iso(d.dead_lettered_at) or ""],
               empty="the dead-letter queue is empty.")  # fmt: skip
    return EXIT_OK


def cmd_dlq_show(args: argparse.Namespace) -> int:
    """`hooks dlq show`; raises NotFoundError, or ValidationError when the delivery is not dead-lettered."""
    print_delivery(get_dead(args.id), as_json=args.json)
    return EXIT_OK


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    """`hooks dlq replay ID | --webhook ID | --all`; raises NotFoundError or ValidationError."""
    if _one_target(args) == "id":
        d = replay(args.id)
        print(f"replaying {d.id} now (replay {d.replays})")
    else:
        print(f"replaying {replay_many(webhook_id=args.webhook, all=args.all)} dead-lettered deliveries now")
    return EXIT_OK


def cmd_dlq_purge(args: argparse.Namespace) -> int:
    """`hooks dlq purge ID | --webhook ID | --all`; raises NotFoundError or ValidationError."""
    if _one_target(args) == "id":
        print(f"purged {purge(args.id).id} from the dead-letter queue (its record and attempts are kept)")
    else:
        print(f"purged {purge_many(webhook_id=args.webhook, all=args.all)} deliveries from the dead-letter queue")
    return EXIT_OK


def _one_target(args: argparse.Namespace) -> str:
    given = [name for name, on in (("id", args.id is not None), ("webhook", args.webhook is not None),
                                   ("all", args.all)) if on]  # fmt: skip
    if len(given) != 1:
        raise ValidationError(f"hooks dlq {args.action}: give one delivery ID, --webhook ID or --all.")
    return given[0]
