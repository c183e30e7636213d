"""What the `hooks` command prints and the times and durations it reads: UTC ISO 8601, tables, JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hooks.errors import ValidationError
from hooks.models.times import AGE_RE, UNITS, iso, parse_time

__all__ = ["iso", "parse_time"]  # re-exported for the command modules

EXIT_OK = 0


def command(cmds: Any, name: str, handler: Any, text: str, *, with_id: bool = False,
            with_json: bool = False) -> argparse.ArgumentParser:  # fmt: skip
    """Add one sub-command that runs `handler`, with a positional `id` and `--json` if asked."""
    p: argparse.ArgumentParser = cmds.add_parser(name, help=text)
    if with_id:
        p.add_argument("id")
    if with_json:
        json_option(p)
    p.set_defaults(handler=handler)
    return p


def json_option(p: argparse.ArgumentParser) -> None:
    """Add `--json` to a command."""
    p.add_argument("--json", action="store_true", help="print JSON")


def parse_duration(text: str, *, option: str) -> float:
    """Seconds from `90s`, `30m`, `24h`, `7d`; raises ValidationError naming the option."""
    match = AGE_RE.match(text.strip())
    if not match:
        raise ValidationError(f"{option}: expected a duration like 90s, 30m, 24h or 7d, got {text!r}.")
    return float(match[1]) * UNITS[match[2]]


def print_json(data: Any) -> None:
    """Print one indented JSON document."""
    print(json.dumps(data, indent=2, sort_keys=False))


def print_pairs(pairs: list[tuple[str, Any]]) -> None:
    """Print `key: value` lines, aligned, leaving out empty values."""
    shown = [(k, v) for k, v in pairs if v not in (None, "")]
    width = max(len(k) for k, _ in shown) + 1
    for key, value in shown:
        print(f"{key + ':':<{width}} {value}")


def print_table(headers: list[str], rows: list[list[str]], *, empty: str) -> None:
    """Print rows in aligned columns under their headers, or `empty` when there are none."""
    if not rows:
        print(empty)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in [headers, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def snippet(text: str, width: int = 40) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def paging_options(p: argparse.ArgumentParser, *, limit: int) -> None:
    """`--limit N` (a page) and `--cursor C` (the page after the one that printed it)."""
    p.add_argument("--limit", type=int, default=limit, help=f"items per page, 1-1000 (default {limit})")
    p.add_argument("--cursor", help="the next page: the cursor the previous page printed")


def print_page(page: Any, *, as_json: bool, item_json: Any, headers: list[str], row: Any, empty: str) -> None:
    """A page of a listing: a table and how to ask for the next page, or `{"items": [...], "next_cursor": ...}`."""
    if as_json:
        print_json({"items": [item_json(x) for x in page], "next_cursor": page.next_cursor})
        return
    print_table(headers, [row(x) for x in page], empty=empty)
    if page.next_cursor:
        print(f"\nmore: the same command with --cursor {page.next_cursor}")
