"""The `hooks` command: manage webhooks, inspect deliveries and their attempts, work the dead-letter queue.

    hooks webhook add|list|show|update|remove|enable|disable ...
    hooks deliveries [--webhook ID] [--event ID] [--status S] [--limit N] [--json]
    hooks delivery show|retry ID
    hooks dlq list|show|replay|purge ...

Output is for people by default; with --json it is exactly one JSON document, for scripts. Times are printed
in UTC ISO 8601. Signing secrets, passwords, tokens and custom header values are masked everywhere, except
by `webhook add` (the signing secret is shown once, at creation) and by `webhook show --show-secret`.

Exit status:
    0  success
    1  the webhook or delivery named does not exist (NotFoundError)
    2  any other failure: a usage error or invalid input (nothing is stored then), a bad setting, Redis
       unreachable. Errors are one line on stderr, `hooks: error: <message>`, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import redis

from hooks.errors import HooksError, NotFoundError, ValidationError

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_ERROR = 2

_AGE_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MASK = "***"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `hooks` command and return its exit status (see the module docstring); never raises."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (2) or the help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return int(args.handler(args) or EXIT_OK)
    except NotFoundError as exc:
        return _fail(str(exc), EXIT_NOT_FOUND)
    except HooksError as exc:
        return _fail(str(exc), EXIT_ERROR)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        return _fail(f"cannot reach Redis at {_redis_url()} ({type(exc).__name__}: {exc}); is it running?", EXIT_ERROR)
    except redis.RedisError as exc:
        return _fail(f"Redis refused the command ({type(exc).__name__}: {exc}).", EXIT_ERROR)
    except BrokenPipeError:  # `hooks ... | head`: the reader left, nothing to report
        return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `hooks` command."""
    parser = argparse.ArgumentParser(prog="hooks", description="Manage webhooks, deliveries and the dead-letter queue.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_webhook_parsers(sub)
    _add_delivery_parsers(sub)
    _add_dlq_parsers(sub)
    return parser


# ---- parsers ---------------------------------------------------------------------------------------------


def _add_webhook_parsers(sub: Any) -> None:
    group = sub.add_parser("webhook", help="add, list, show, update, remove, enable or disable webhooks")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = cmds.add_parser("add", help="register a webhook (prints its signing secret, once)")
    _webhook_options(add, update=False)
    add.set_defaults(handler=cmd_webhook_add)
    lst = cmds.add_parser("list", help="list webhooks")
    lst.add_argument("--stack", help="only this stack's webhooks")
    _json_option(lst)
    lst.set_defaults(handler=cmd_webhook_list)
    show = cmds.add_parser("show", help="one webhook, with its health")
    show.add_argument("id")
    show.add_argument("--show-secret", action="store_true", help="print the signing secret and auth values")
    _json_option(show)
    show.set_defaults(handler=cmd_webhook_show)
    upd = cmds.add_parser("update", help="change a webhook (list options replace the whole list)")
    upd.add_argument("id")
    _webhook_options(upd, update=True)
    upd.set_defaults(handler=cmd_webhook_update)
    rot = cmds.add_parser("rotate-secret", help="issue a new signing secret; the old one keeps signing for --grace")
    rot.add_argument("id")
    rot.add_argument("--grace", default="24h", help="how long requests carry both signatures (e.g. 24h, 90m, 0s)")
    _json_option(rot)
    rot.set_defaults(handler=cmd_webhook_rotate_secret)
    for name, handler, text in (("remove", cmd_webhook_remove, "delete a webhook"),
                                ("enable", cmd_webhook_enable, "enable a webhook and reset its breaker"),
                                ("disable", cmd_webhook_disable, "stop sending to a webhook")):  # fmt: skip
        p = cmds.add_parser(name, help=text)
        p.add_argument("id")
        p.set_defaults(handler=handler)
        if name == "disable":
            p.add_argument("--reason", default="disabled by an operator", help="why (shown by `show`)")


def _webhook_options(p: argparse.ArgumentParser, *, update: bool) -> None:
    flag = argparse.BooleanOptionalAction if update else "store_true"
    p.add_argument("--url", required=not update, help="where to POST (https://...)")
    p.add_argument("--event", dest="events", action="append", required=not update, metavar="PATTERN",
                   help="event pattern, repeatable (* one segment, # any)")  # fmt: skip
    p.add_argument("--stack", help="the stack whose events it receives (default: default)")
    p.add_argument("--branch", dest="branches", action="append", metavar="B", help="branch, repeatable (* any)")
    p.add_argument("--secret", help="signing secret whsec_... (default: generated)")
    if not update:
        p.add_argument("--ed25519", action="store_true",
                       help="also sign with a generated ed25519 key (Standard Webhooks v1a); receivers verify "
                            "with the printed whpk_ public key")  # fmt: skip
    p.add_argument(
        "--header", dest="headers", action="append", metavar="'NAME: VALUE'", help="custom header, repeatable"
    )
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--basic-auth", metavar="USER:PASS", help="HTTP Basic credentials")
    auth.add_argument("--bearer", metavar="TOKEN", help="bearer token for the Authorization header")
    if update:
        auth.add_argument("--no-auth", action="store_true", help="send no Authorization header")
    p.add_argument("--concise", action=flag, default=None, help="send the concise body (ids and summary)")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--manual-retry", action=flag, default=None, help="dead-letter after the first failure")
    p.add_argument("--max-attempts", type=int, metavar="N", help="attempts before dead-lettering")
    _json_option(p)


def _add_delivery_parsers(sub: Any) -> None:
    lst = sub.add_parser("deliveries", help="list deliveries, newest first")
    lst.add_argument("--webhook", metavar="ID")
    lst.add_argument("--event", metavar="ID")
    lst.add_argument("--status", choices=("delivered", "pending", "failed"))
    lst.add_argument("--limit", type=int, default=50)
    _json_option(lst)
    lst.set_defaults(handler=cmd_deliveries)
    group = sub.add_parser("delivery", help="show or retry one delivery")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = cmds.add_parser("show", help="a delivery and every attempt")
    show.add_argument("id")
    _json_option(show)
    show.set_defaults(handler=cmd_delivery_show)
    retry = cmds.add_parser("retry", help="send a delivery again now, whatever its status")
    retry.add_argument("id")
    retry.set_defaults(handler=cmd_delivery_retry)


def _add_dlq_parsers(sub: Any) -> None:
    group = sub.add_parser("dlq", help="the dead-letter queue: list, show, replay, purge")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    lst = cmds.add_parser("list", help="dead-lettered deliveries, newest first")
    lst.add_argument("--webhook", metavar="ID")
    lst.add_argument("--since", metavar="TIME", help="ISO 8601 (2026-11-28T10:00:00Z) or an age (30m, 2h, 7d)")
    lst.add_argument("--limit", type=int, default=100)
    _json_option(lst)
    lst.set_defaults(handler=cmd_dlq_list)
    show = cmds.add_parser("show", help="a dead-lettered delivery and its attempts")
    show.add_argument("id")
    _json_option(show)
    show.set_defaults(handler=cmd_dlq_show)
    for name, handler, text in (("replay", cmd_dlq_replay, "send again, with a fresh round of attempts"),
                                ("purge", cmd_dlq_purge, "drop from the queue (the record and attempts stay)")):  # fmt: skip
        p = cmds.add_parser(name, help=text)
        which = p.add_mutually_exclusive_group()
        which.add_argument("id", nargs="?", help="one delivery")
        which.add_argument("--webhook", metavar="ID", help="every dead delivery of this webhook")
        which.add_argument("--all", action="store_true", help="every dead delivery")
        p.set_defaults(handler=handler)


def _json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


# ---- webhook commands ------------------------------------------------------------------------------------


def cmd_webhook_add(args: argparse.Namespace) -> int:
    """`hooks webhook add`; raises ValidationError (nothing is stored then)."""
    from hooks.registry import create_webhook

    fields = webhook_fields(args)
    if args.max_attempts is not None:
        fields["retry"] = {"max_attempts": args.max_attempts}
    if args.ed25519:
        from hooks.webhooks import generate_signing_key

        fields["signing_key"] = generate_signing_key()
    webhook = create_webhook(args.url, args.events, **fields)
    if args.json:
        _print_json(webhook.public_dict(show_secret=True))  # the one time the secret is shown
        return EXIT_OK
    data = public_webhook(webhook)
    data["secret"] = webhook.secret
    _print_pairs(_webhook_pairs(data))
    print("\nThe signing secret is shown only now: store it where your receiver can read it.")
    return EXIT_OK


def cmd_webhook_list(args: argparse.Namespace) -> int:
    """`hooks webhook list`."""
    from hooks.registry import list_webhooks

    webhooks = list_webhooks(stack=args.stack)
    if args.json:
        _print_json([public_webhook(w) for w in webhooks])
        return EXIT_OK
    rows = [[w.id, w.name, w.stack, ",".join(w.events), ",".join(w.branches), "yes" if w.enabled else "no",
             w.url.split("?", 1)[0]] for w in webhooks]  # fmt: skip
    _print_table(["ID", "NAME", "STACK", "EVENTS", "BRANCHES", "ENABLED", "URL"], rows, empty="no webhooks.")
    return EXIT_OK


def cmd_webhook_show(args: argparse.Namespace) -> int:
    """`hooks webhook show`; raises NotFoundError."""
    from config import get_settings
    from hooks.breaker import state
    from hooks.connection import get_redis
    from hooks.registry import get_webhook

    webhook = get_webhook(args.id)
    data = public_webhook(webhook, show_secret=args.show_secret)
    data["health"] = _health_json(state(get_redis(), get_settings(), webhook.id))
    if args.json:
        _print_json(data)
        return EXIT_OK
    _print_pairs(_webhook_pairs(data) + _health_pairs(data["health"]))
    return EXIT_OK


def cmd_webhook_update(args: argparse.Namespace) -> int:
    """`hooks webhook update`; raises NotFoundError or ValidationError (nothing is changed then)."""
    from hooks.registry import get_webhook, update_webhook

    changes = webhook_fields(args)
    for option, field in (("url", "url"), ("events", "events")):
        if getattr(args, option) is not None:
            changes[field] = getattr(args, option)
    if args.no_auth:
        changes["auth"] = None
    if args.max_attempts is not None:  # keep the webhook's other retry overrides
        changes["retry"] = {**get_webhook(args.id).retry.model_dump(), "max_attempts": args.max_attempts}
    if not changes:
        raise ValidationError("nothing to change: give at least one option (see hooks webhook update --help).")
    webhook = update_webhook(args.id, **changes)
    if args.json:
        _print_json(public_webhook(webhook))
    else:
        _print_pairs(_webhook_pairs(public_webhook(webhook)))
    return EXIT_OK


def cmd_webhook_rotate_secret(args: argparse.Namespace) -> int:
    """`hooks webhook rotate-secret`; prints the new secret once. Raises NotFoundError or ValidationError."""
    from hooks.registry import rotate_secret

    grace_s = parse_duration(args.grace, option="--grace")
    webhook = rotate_secret(args.id, grace_s=grace_s)
    if args.json:
        _print_json(webhook.public_dict(show_secret=True))
        return EXIT_OK
    print(f"new secret for {webhook.id}: {webhook.secret}")
    print(f"the previous secret keeps signing for {args.grace}; requests carry both signatures until then.")
    return EXIT_OK


def parse_duration(text: str, *, option: str) -> float:
    """Seconds from `90s`, `30m`, `24h`, `7d`; raises ValidationError naming the option."""
    match = _AGE_RE.match(text.strip())
    if not match:
        raise ValidationError(f"{option}: expected a duration like 90s, 30m, 24h or 7d, got {text!r}.")
    return float(match[1]) * _UNITS[match[2]]


def cmd_webhook_remove(args: argparse.Namespace) -> int:
    """`hooks webhook remove`; raises NotFoundError."""
    from hooks.registry import delete_webhook

    delete_webhook(args.id)
    print(f"removed webhook {args.id}")
    return EXIT_OK


def cmd_webhook_enable(args: argparse.Namespace) -> int:
    """`hooks webhook enable`; raises NotFoundError."""
    from hooks.registry import enable_webhook

    enable_webhook(args.id)
    print(f"enabled webhook {args.id}")
    return EXIT_OK


def cmd_webhook_disable(args: argparse.Namespace) -> int:
    """`hooks webhook disable`; raises NotFoundError or ValidationError."""
    from hooks.registry import disable_webhook

    disable_webhook(args.id, args.reason)
    print(f"disabled webhook {args.id}: {args.reason}")
    return EXIT_OK


def webhook_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The webhook fields the options of `add`/`update` give (only those given); raises ValidationError."""
    fields: dict[str, Any] = {}
    for option in ("stack", "branches", "secret", "name", "description", "concise"):
        if getattr(args, option) is not None:
            fields[option] = getattr(args, option)
    if args.headers is not None:
        fields["headers"] = parse_headers(args.headers)
    if args.basic_auth is not None:
        user, colon, password = args.basic_auth.partition(":")
        if not colon:
            raise ValidationError("--basic-auth: expected USER:PASSWORD (a colon between them).")
        fields["auth"] = {"type": "basic", "username": user, "password": password}
    if args.bearer is not None:
        fields["auth"] = {"type": "bearer", "token": args.bearer}
    if args.manual_retry is not None:
        fields["retry_policy"] = "manual" if args.manual_retry else "auto"
    return fields


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """`Name: value` strings as a dict (split on the first colon, stripped); raises ValidationError naming --header."""
    headers: dict[str, str] = {}
    for i, text in enumerate(values, 1):
        name, colon, value = text.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:  # the text itself is not echoed: it may hold a credential
            raise ValidationError(f"--header: #{i} is not of the form 'Name: value'.")
        if name.lower() in (n.lower() for n in headers):
            raise ValidationError(f"--header: {name} is given twice.")
        headers[name] = value
    return headers


def public_webhook(webhook: Any, *, show_secret: bool = False) -> dict[str, Any]:
    """A webhook as the CLI prints it: `public_dict`, with custom header values masked too unless shown."""
    data: dict[str, Any] = webhook.public_dict(show_secret=show_secret)
    if not show_secret:  # custom headers often carry API keys (the attempt log redacts them too)
        data["headers"] = {name: _MASK for name in data["headers"]}
    return data


def _webhook_pairs(d: dict[str, Any]) -> list[tuple[str, Any]]:
    retry = d["retry"]
    return [
        ("id", d["id"]), ("name", d["name"]), ("url", d["url"]), ("stack", d["stack"]),
        ("events", ", ".join(d["events"])), ("branches", ", ".join(d["branches"])),
        ("enabled", "yes" if d["enabled"] else "no"),
        ("disabled reason", d["disabled_reason"]), ("disabled at", d["disabled_at"]),
        ("secret", d["secret"]), ("auth", _auth_text(d["auth"])),
        ("headers", ", ".join(f"{k}: {v}" for k, v in d["headers"].items())),
        ("concise", "yes" if d["concise"] else "no"), ("retry policy", d["retry_policy"]),
        ("max attempts", retry.get("max_attempts") or "default"),
        ("description", d["description"]), ("created", d["created_at"]), ("updated", d["updated_at"]),
    ]  # fmt: skip


def _auth_text(auth: dict[str, Any] | None) -> str:
    if not auth:
        return ""
    if auth["type"] == "basic":
        return f"basic {auth['username']}:{auth['password']}"
    return f"bearer {auth['token']}"


def _health_json(st: dict[str, Any]) -> dict[str, Any]:
    return {k: (iso(v) if k in ("open_until", "failing_since", "last_success_at") else v) for k, v in st.items()}


def _health_pairs(h: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("breaker", f"{h['state']} ({h['consecutive_failures']} consecutive failures)"),
        ("open until", h["open_until"]), ("failing since", h["failing_since"]),
        ("last success", h["last_success_at"]),
        ("waiting", h["waiting_deliveries"]), ("in flight", h["in_flight"]),
    ]  # fmt: skip


# ---- delivery commands -----------------------------------------------------------------------------------


def cmd_deliveries(args: argparse.Namespace) -> int:
    """`hooks deliveries`; raises ValidationError on a bad filter."""
    from hooks.deliveries import list_deliveries

    found = list_deliveries(webhook_id=args.webhook, event_id=args.event, status=args.status, limit=args.limit)
    if args.json:
        _print_json([delivery_json(d, with_log=False) for d in found])
        return EXIT_OK
    rows = [[d.id, d.status, str(d.attempts), _last_result(d), iso(d.created_at) or "", d.reason or ""] for d in found]
    _print_table(["ID", "STATUS", "ATTEMPTS", "LAST", "CREATED", "REASON"], rows, empty="no deliveries.")
    return EXIT_OK


def cmd_delivery_show(args: argparse.Namespace) -> int:
    """`hooks delivery show`; raises NotFoundError."""
    from hooks.deliveries import get_delivery

    _print_delivery(get_delivery(args.id), as_json=args.json)
    return EXIT_OK


def cmd_delivery_retry(args: argparse.Namespace) -> int:
    """`hooks delivery retry`: send again now, whatever its status; raises NotFoundError."""
    from hooks.dlq import retry_now

    d = retry_now(args.id)
    print(f"retrying {d.id} now (replay {d.replays}); watch it with: hooks delivery show {d.id}")
    return EXIT_OK


def delivery_json(d: Any, *, with_log: bool = True) -> dict[str, Any]:
    """A delivery as JSON-ready data, times in UTC ISO 8601."""
    data: dict[str, Any] = d.to_dict()
    for key in ("created_at", "updated_at", "next_attempt_at", "dead_lettered_at"):
        data[key] = iso(data[key])
    if with_log:
        data["attempt_log"] = [{**a, "started_at": iso(a.get("started_at"))} for a in d.attempt_log]
    else:
        del data["attempt_log"]  # a listing does not read the attempts: an empty list would mislead
    return data


def _print_delivery(d: Any, *, as_json: bool) -> None:
    if as_json:
        _print_json(delivery_json(d))
        return
    _print_pairs([
        ("id", d.id), ("event", d.event_id), ("webhook", d.webhook_id), ("status", d.status), ("reason", d.reason),
        ("attempts", f"{d.attempts} ({d.round_attempts} this round, {d.replays} replays)"),
        ("last result", _last_result(d)), ("created", iso(d.created_at)), ("updated", iso(d.updated_at)),
        ("next attempt", iso(d.next_attempt_at)), ("dead-lettered", iso(d.dead_lettered_at)),
    ])  # fmt: skip
    print()
    rows = [[str(a.get("attempt", "")), iso(a.get("started_at")) or "", f"{a.get('duration_ms', 0):.0f}",
             str(a.get("status_code") or a.get("error") or "-"), "yes" if a.get("replay") else "no",
             str(a.get("outcome") or ""), _snippet(a.get("response") or "")] for a in d.attempt_log]  # fmt: skip
    _print_table(["#", "TIME", "MS", "RESULT", "REPLAY", "OUTCOME", "RESPONSE"], rows, empty="no attempts yet.")


def _last_result(d: Any) -> str:
    return str(d.last_status or d.last_error or "-")


def _snippet(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# ---- dead-letter queue commands --------------------------------------------------------------------------


def cmd_dlq_list(args: argparse.Namespace) -> int:
    """`hooks dlq list`; raises ValidationError on a bad --since or --limit."""
    from hooks.dlq import list_dead

    since = parse_time(args.since, option="--since") if args.since is not None else None
    found = list_dead(webhook_id=args.webhook, since=since, limit=args.limit)
    if args.json:
        _print_json([delivery_json(d, with_log=False) for d in found])
        return EXIT_OK
    rows = [[d.id, d.webhook_id, d.reason or "", str(d.attempts), _last_result(d), iso(d.dead_lettered_at) or ""]
            for d in found]  # fmt: skip
    _print_table(
        ["ID", "WEBHOOK", "REASON", "ATTEMPTS", "LAST", "DEAD-LETTERED"], rows, empty="the dead-letter queue is empty."
    )
    return EXIT_OK


def cmd_dlq_show(args: argparse.Namespace) -> int:
    """`hooks dlq show`; raises NotFoundError, or ValidationError when the delivery is not dead-lettered."""
    from hooks.dlq import get_dead

    _print_delivery(get_dead(args.id), as_json=args.json)
    return EXIT_OK


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    """`hooks dlq replay ID | --webhook ID | --all`; raises NotFoundError or ValidationError."""
    from hooks.dlq import replay, replay_many

    if _one_target(args) == "id":
        d = replay(args.id)
        print(f"replaying {d.id} now (replay {d.replays})")
    else:
        print(f"replaying {replay_many(webhook_id=args.webhook, all=args.all)} dead-lettered deliveries now")
    return EXIT_OK


def cmd_dlq_purge(args: argparse.Namespace) -> int:
    """`hooks dlq purge ID | --webhook ID | --all`; raises NotFoundError or ValidationError."""
    from hooks.dlq import purge, purge_many

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


# ---- time and output -------------------------------------------------------------------------------------


def parse_time(text: str, *, option: str = "time", now: float | None = None) -> float:
    """Unix time from ISO 8601 (UTC when no offset is given) or an age like 30m, 2h, 7d; raises ValidationError."""
    text = text.strip()
    age = _AGE_RE.match(text)
    if age:
        return (time.time() if now is None else now) - float(age[1]) * _UNITS[age[2]]
    try:  # Python 3.10's fromisoformat does not read a trailing Z
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        raise ValidationError(
            f"{option}: expected ISO 8601 like 2026-11-28T10:00:00Z or an age like 30m, 2h, 7d; got {text!r}."
        ) from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


def iso(ts: float | None) -> str | None:
    """A Unix time as UTC ISO 8601 to the millisecond (2026-11-28T10:00:00.000Z); None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def _print_pairs(pairs: list[tuple[str, Any]]) -> None:
    shown = [(k, v) for k, v in pairs if v not in (None, "")]
    width = max(len(k) for k, _ in shown) + 1
    for key, value in shown:
        print(f"{key + ':':<{width}} {value}")


def _print_table(headers: list[str], rows: list[list[str]], *, empty: str) -> None:
    if not rows:
        print(empty)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in [headers, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _fail(message: str, code: int) -> int:
    print(f"hooks: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def _redis_url() -> str:
    """The Redis URL, without its password."""
    from config import get_settings

    url = get_settings().redis_url
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


if __name__ == "__main__":
    sys.exit(main())
