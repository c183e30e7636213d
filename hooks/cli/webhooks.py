"""`hooks webhook add|list|show|update|rotate-secret|remove|enable|disable`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from hooks.cli import credentials
from hooks.cli.output import (
    EXIT_OK,
    command,
    iso,
    json_option,
    parse_duration,
    print_json,
    print_pairs,
    print_table,
)
from hooks.errors import ValidationError
from hooks.models.filters import check_filter, compact
from hooks.models.webhook import generate_signing_key
from hooks.registry import webhooks as registry
from hooks.registry.health import state
from hooks.settings import get_settings
from hooks.store.connection import get_redis


def add_parsers(sub: Any) -> None:
    """The `hooks webhook ...` commands."""
    group = sub.add_parser("webhook", help="add, list, show, update, remove, enable or disable webhooks")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    _webhook_options(command(cmds, "add", cmd_webhook_add, "register a webhook (prints its signing secret, once)"),
                     update=False)  # fmt: skip
    command(cmds, "list", cmd_webhook_list, "list webhooks", with_json=True).add_argument(
        "--stack", help="only this stack's webhooks"
    )
    command(cmds, "show", cmd_webhook_show, "one webhook, with its health", with_id=True, with_json=True).add_argument(
        "--show-secret", action="store_true", help="print the signing secret and auth values"
    )
    text = "change a webhook (list options replace the whole list)"
    _webhook_options(command(cmds, "update", cmd_webhook_update, text, with_id=True), update=True)
    text = "issue a new signing secret; the old one keeps signing for --grace"
    command(cmds, "rotate-secret", cmd_webhook_rotate_secret, text, with_id=True, with_json=True).add_argument(
        "--grace", default="24h", help="how long requests carry both signatures (e.g. 24h, 90m, 0s)"
    )
    command(cmds, "remove", cmd_webhook_remove, "delete a webhook", with_id=True)
    command(cmds, "enable", cmd_webhook_enable, "enable a webhook and reset its breaker", with_id=True)
    command(cmds, "disable", cmd_webhook_disable, "stop sending to a webhook", with_id=True).add_argument(
        "--reason", default="disabled by an operator", help="why (shown by `show`)"
    )


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
    p.add_argument("--ordered", action=flag, default=None,
                   help="send in publish order, one at a time: a failing delivery holds the ones behind it until it "
                        "succeeds or is dead-lettered")  # fmt: skip
    p.add_argument("--rate-limit", metavar="N",
                   help="send at most N requests a second (e.g. 20 or 0.5; shared by every worker); "
                        + ("'none' removes the limit" if update else "default: no limit"))  # fmt: skip
    p.add_argument("--filter", metavar="JSON",
                   help='payload filter, path -> condition, e.g. \'{"data.entry.locale": "en-us"}\' (README "Payload '
                        'filters")' + ("; 'null' removes it" if update else ""))  # fmt: skip
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--manual-retry", action=flag, default=None, help="dead-letter after the first failure")
    p.add_argument("--max-attempts", type=int, metavar="N", help="attempts before dead-lettering")
    credentials.add_options(p, update=update)
    json_option(p)


def cmd_webhook_add(args: argparse.Namespace) -> int:
    """`hooks webhook add`; raises ValidationError (nothing is stored then)."""
    fields = webhook_fields(args) | credentials.credential_fields(args, None)
    if args.max_attempts is not None:
        fields["retry"] = {"max_attempts": args.max_attempts}
    if args.ed25519:
        fields["signing_key"] = generate_signing_key()
    webhook = registry.create_webhook(args.url, args.events, **fields)
    if args.json:
        print_json(webhook.public_dict(show_secret=True))  # the one time the secret is shown
        return EXIT_OK
    data = public_webhook(webhook)
    data["secret"] = webhook.secret
    print_pairs(_webhook_pairs(data))
    print("\nThe signing secret is shown only now: store it where your receiver can read it.")
    return EXIT_OK


def cmd_webhook_list(args: argparse.Namespace) -> int:
    """`hooks webhook list`."""
    webhooks = registry.list_webhooks(stack=args.stack)
    if args.json:
        print_json([public_webhook(w) for w in webhooks])
        return EXIT_OK
    rows = [[w.id, w.name, w.stack, ",".join(w.events), ",".join(w.branches), "yes" if w.enabled else "no",
             w.masked_url] for w in webhooks]  # fmt: skip
    print_table(["ID", "NAME", "STACK", "EVENTS", "BRANCHES", "ENABLED", "URL"], rows, empty="no webhooks.")
    return EXIT_OK


def cmd_webhook_show(args: argparse.Namespace) -> int:
    """`hooks webhook show`; raises NotFoundError."""
    webhook = registry.get_webhook(args.id)
    data = public_webhook(webhook, show_secret=args.show_secret)
    data["health"] = _health_json(state(get_redis(), get_settings(), webhook.id))
    if args.json:
        print_json(data)
        return EXIT_OK
    print_pairs(_webhook_pairs(data) + _health_pairs(data["health"]))
    return EXIT_OK


def cmd_webhook_update(args: argparse.Namespace) -> int:
    """`hooks webhook update`; raises NotFoundError or ValidationError (nothing is changed then)."""
    changes = webhook_fields(args)
    for option, field in (("url", "url"), ("events", "events")):
        if getattr(args, option) is not None:
            changes[field] = getattr(args, option)
    if args.no_auth:
        changes["auth"] = None
    oauth2_given = any(getattr(args, k) is not None for k in vars(args) if k.startswith("oauth2_"))
    changes |= credentials.credential_fields(args, registry.get_webhook(args.id) if oauth2_given else None)
    if args.max_attempts is not None:  # keep the webhook's other retry overrides
        changes["retry"] = {**registry.get_webhook(args.id).retry.model_dump(), "max_attempts": args.max_attempts}
    if not changes:
        raise ValidationError("nothing to change: give at least one option (see hooks webhook update --help).")
    webhook = registry.update_webhook(args.id, **changes)
    if args.json:
        print_json(public_webhook(webhook))
    else:
        print_pairs(_webhook_pairs(public_webhook(webhook)))
    return EXIT_OK


def cmd_webhook_rotate_secret(args: argparse.Namespace) -> int:
    """`hooks webhook rotate-secret`; prints the new secret once. Raises NotFoundError or ValidationError."""
    grace_s = parse_duration(args.grace, option="--grace")
    webhook = registry.rotate_secret(args.id, grace_s=grace_s)
    if args.json:
        print_json(webhook.public_dict(show_secret=True))
        return EXIT_OK
    print(f"new secret for {webhook.id}: {webhook.secret}")
    print(f"the previous secret keeps signing for {args.grace}; requests carry both signatures until then.")
    return EXIT_OK


def cmd_webhook_remove(args: argparse.Namespace) -> int:
    """`hooks webhook remove`; raises NotFoundError."""
    registry.delete_webhook(args.id)
    print(f"removed webhook {args.id}")
    return EXIT_OK


def cmd_webhook_enable(args: argparse.Namespace) -> int:
    """`hooks webhook enable`; raises NotFoundError."""
    registry.enable_webhook(args.id)
    print(f"enabled webhook {args.id}")
    return EXIT_OK


def cmd_webhook_disable(args: argparse.Namespace) -> int:
    """`hooks webhook disable`; raises NotFoundError or ValidationError."""
    registry.disable_webhook(args.id, args.reason)
    print(f"disabled webhook {args.id}: {args.reason}")
    return EXIT_OK


def webhook_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The webhook fields the options of `add`/`update` give (only those given); raises ValidationError."""
    fields: dict[str, Any] = {}
    for option in ("stack", "branches", "secret", "name", "description", "concise", "ordered"):
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
    if args.rate_limit is not None:
        fields["rate_limit_per_s"] = parse_rate(args.rate_limit)
    if args.filter is not None:
        fields["filter"] = check_filter(args.filter)
    return fields


def parse_rate(text: str) -> float | None:
    """`--rate-limit`'s value: a number of requests a second, or `none`; raises ValidationError naming the option."""
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"--rate-limit: expected requests a second as a number (e.g. 20 or 0.5) or none, got "
                              f"{text[:20]!r}.") from None  # fmt: skip


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
    """A webhook as the CLI prints it: `public_dict`, masked as the API and the dashboard mask it unless shown."""
    data: dict[str, Any] = webhook.public_dict(show_secret=show_secret)
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
        ("concise", "yes" if d["concise"] else "no"), ("ordered", "yes" if d.get("ordered") else "no"),
        ("rate limit", f"{d['rate_limit_per_s']:g}/s" if d.get("rate_limit_per_s") else "none"),
        ("filter", compact(d["filter"]) if d.get("filter") else "none"),
        ("retry policy", d["retry_policy"]),
        ("max attempts", retry.get("max_attempts") or "default"),
        *credentials.pairs(d),
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
