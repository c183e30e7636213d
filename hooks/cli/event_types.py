"""`hooks event-type add|list|show|remove`: the event catalogue (hooks.catalogue): descriptions, JSON Schemas, examples.

    hooks event-type add content_types.entries.publish --description "An entry was published." \\
        --schema schema.json --example example.json --strict
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hooks.catalogue import EventType, add_event_type, get_event_type, list_event_types, remove_event_type
from hooks.catalogue.schema import MAX_SCHEMA_AND_EXAMPLE_BYTES
from hooks.cli.output import EXIT_OK, command, iso, print_json, print_pairs, print_table, snippet
from hooks.errors import NotFoundError, ValidationError


def add_parsers(sub: Any) -> None:
    """The `hooks event-type ...` commands."""
    group = sub.add_parser("event-type", help="the event catalogue: types with a description, a schema, an example")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = command(cmds, "add", cmd_add, "add an event type, or replace it", with_json=True)
    add.add_argument("name", help="the event type, like content_types.entries.publish")
    add.add_argument("--description", default="", help="what the event means (<= 2,000 characters)")
    add.add_argument("--schema", metavar="FILE", help="a JSON Schema of the events' data (- for stdin)")
    add.add_argument("--example", metavar="FILE", help="an example data, JSON; must pass the schema (- for stdin)")
    add.add_argument("--strict", action="store_true", help="publish_event refuses data that fails the schema")
    command(cmds, "list", cmd_list, "every event type, by name", with_json=True)
    show = command(cmds, "show", cmd_show, "one event type with its schema and example", with_json=True)
    show.add_argument("name")
    remove = command(cmds, "remove", cmd_remove, "remove an event type (its events are no longer checked)")
    remove.add_argument("name")


def cmd_add(args: argparse.Namespace) -> int:
    """`hooks event-type add`; raises ValidationError naming the bad field or file."""
    if args.schema == "-" and args.example == "-":
        raise ValidationError("example: only one of --schema and --example can be read from stdin (-).")
    schema, example = _read_json(args.schema, "schema"), _read_json(args.example, "example")
    try:
        get_event_type(args.name)
        replaced = True
    except (NotFoundError, ValidationError):  # a bad name is said by add_event_type, as `name: ...`
        replaced = False
    made = add_event_type(args.name, description=args.description, schema=schema, example=example,
                          strict=args.strict)  # fmt: skip
    if args.json:
        print_json(_as_json(made))
        return EXIT_OK
    print(f"{'replaced' if replaced else 'added'} {made.name}{' (strict)' if made.strict else ''}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    """`hooks event-type list`."""
    found = list_event_types()
    if args.json:
        print_json([_as_json(t) for t in found])
        return EXIT_OK
    rows = [[t.name, "yes" if t.strict else "no", "yes" if t.schema is not None else "no",
             snippet(t.description, 50) or "-"] for t in found]  # fmt: skip
    print_table(["NAME", "STRICT", "SCHEMA", "DESCRIPTION"], rows, empty="no event types in the catalogue.")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """`hooks event-type show NAME`; raises NotFoundError."""
    found = get_event_type(args.name)
    if args.json:
        print_json(_as_json(found))
        return EXIT_OK
    print_pairs([("name", found.name), ("description", found.description), ("strict", "yes" if found.strict else "no"),
                 ("created", iso(found.created_at)), ("updated", iso(found.updated_at))])  # fmt: skip
    for title, value in (("schema", found.schema), ("example", found.example)):
        print(f"\n{title}:\n{json.dumps(value, indent=2) if value is not None else '(none)'}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    """`hooks event-type remove NAME`; raises NotFoundError."""
    removed = remove_event_type(args.name)
    print(f"removed {removed.name}")
    return EXIT_OK


def _read_json(path: str | None, field: str) -> Any:
    """The JSON document in the file `path` (`-`: stdin), None without one; raises ValidationError naming `field`."""
    if path is None:
        return None
    try:
        if path == "-":
            text = sys.stdin.read(MAX_SCHEMA_AND_EXAMPLE_BYTES + 1)
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read(MAX_SCHEMA_AND_EXAMPLE_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ValidationError(f"{field}: cannot read {path!r} ({reason}).") from None
    if len(text) > MAX_SCHEMA_AND_EXAMPLE_BYTES:
        raise ValidationError(f"{field}: {path!r} is over {MAX_SCHEMA_AND_EXAMPLE_BYTES} characters (64 KiB).")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"{field}: {path!r} is not JSON ({str(exc)[:100]}).") from None


def _as_json(event_type: EventType) -> dict[str, Any]:
    return {**event_type.to_dict(), "created_at": iso(event_type.created_at), "updated_at": iso(event_type.updated_at)}
