"""`hooks portal-link --stack S [--ttl-s N] [--user U] [--json]`: a single-use sign-in link to a stack's portal
(hooks/portal/links.py), at HOOKS_API_PUBLIC_URL."""

from __future__ import annotations

import argparse
from typing import Any

from hooks.cli.output import EXIT_OK, command, iso, print_json, print_pairs
from hooks.portal import links
from hooks.settings import get_settings


def add_parsers(sub: Any) -> None:
    """The `hooks portal-link` command."""
    p = command(sub, "portal-link", cmd_portal_link, "a single-use sign-in link to one stack's portal",
                with_json=True)  # fmt: skip
    p.add_argument("--stack", required=True, help="the stack whose endpoints the portal shows")
    p.add_argument("--ttl-s", type=int, default=links.DEFAULT_TTL_S, help="how long the link can sign in (60-86400)")
    p.add_argument("--user", default="", help="who the link is for (shown in the portal)")
    p.add_argument("--session-ttl-s", type=int, default=links.DEFAULT_SESSION_TTL_S,
                   help="how long the portal session lasts (60-86400)")  # fmt: skip


def cmd_portal_link(args: argparse.Namespace) -> int:
    """`hooks portal-link`; raises ValidationError on a bad value, ConfigurationError without HOOKS_API_PUBLIC_URL."""
    settings = get_settings()
    made = links.create_link(args.stack, base=links.base_url(settings), ttl_s=args.ttl_s, user=args.user,
                             session_ttl_s=args.session_ttl_s, settings=settings)  # fmt: skip
    if args.json:
        print_json({"url": made.url, "expires_at": iso(made.expires_at), "stack": args.stack, "user": args.user})
        return EXIT_OK
    print_pairs([("url", made.url), ("expires_at", iso(made.expires_at)), ("stack", args.stack)])
    print("\nThe link signs in once: show it to the stack's user (a link, or an iframe's src).")
    return EXIT_OK
