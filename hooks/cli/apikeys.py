"""`hooks api-key create|list|revoke`: the keys of the HTTP API, metrics and dashboard (hooks/api/apikeys.py).

A key made with `--stack S` sees and changes stack S only on every /v1 route (hooks/api/scope.py); the listing
shows each key's stack, `(global)` for an operator's key that covers every stack."""

from __future__ import annotations

import argparse
from typing import Any

from hooks.api.apikeys import create_key, list_keys, revoke_key
from hooks.cli.output import EXIT_OK, command, iso, print_json, print_pairs, print_table


def add_parsers(sub: Any) -> None:
    """The `hooks api-key ...` commands."""
    group = sub.add_parser("api-key", help="create, list or revoke keys of the HTTP API and dashboard")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = command(cmds, "create", cmd_create, "make a key (printed once; only its hash is stored)", with_json=True)
    create.add_argument("--name", required=True, help="what the key is for (shown in listings)")
    create.add_argument("--read-only", action="store_true", help="may read, never change anything")
    create.add_argument("--stack", help="bind the key to this stack: it sees and changes that stack only")
    command(cmds, "list", cmd_list, "every key (ids and names; the keys themselves are not stored)", with_json=True)
    command(cmds, "revoke", cmd_revoke, "delete a key: requests and dashboard sessions with it stop working",
            with_id=True)  # fmt: skip


def cmd_create(args: argparse.Namespace) -> int:
    """`hooks api-key create`; raises ValidationError on a bad name."""
    made, key = create_key(args.name, read_only=args.read_only, stack=args.stack)
    if args.json:
        print_json({"key": key, **made.to_dict(), "created_at": iso(made.created_at)})
        return EXIT_OK
    print_pairs([("key", key), ("id", made.display), ("name", made.name),
                 ("access", "read-only" if made.read_only else "read-write"),
                 ("stack", made.stack or "every stack (global)")])  # fmt: skip
    print("\nThe key is shown only now: send it as `Authorization: Bearer <key>`, or log in to /ui/ with it.")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    """`hooks api-key list`."""
    keys = list_keys()
    if args.json:
        print_json([{**k.to_dict(), "created_at": iso(k.created_at), "last_used_at": iso(k.last_used_at)}
                    for k in keys])  # fmt: skip
        return EXIT_OK
    rows = [[k.display, k.name, "read-only" if k.read_only else "read-write", k.stack or "(global)",
             iso(k.created_at) or "", iso(k.last_used_at) or "never"] for k in keys]  # fmt: skip
    print_table(["ID", "NAME", "ACCESS", "STACK", "CREATED", "LAST USED"], rows, empty="no API keys.")
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    """`hooks api-key revoke ID`; raises NotFoundError."""
    key = revoke_key(args.id)
    print(f"revoked {key.display} ({key.name})")
    return EXIT_OK
