"""The portal's settings: who may frame it (HOOKS_PORTAL_FRAME_ANCESTORS) and its default look."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hooks.settings.public_url import parse_origin

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_frame_ancestors(value: str) -> tuple[str, ...]:
    """The origins of a space- or comma-separated list, as scheme://host[:port]; raises ValueError naming the bad
    entry."""
    found: list[str] = []
    for entry in value.replace(",", " ").split():
        try:
            scheme, host, port = parse_origin(entry)
        except ValueError as exc:
            raise ValueError(f"{entry[:60]!r} {exc}") from None
        if "*" in host:
            raise ValueError(f"{entry[:60]!r} must name one host: no wildcard")
        shown = f"[{host}]" if ":" in host else host
        default = 443 if scheme == "https" else 80
        found.append(f"{scheme}://{shown}" + ("" if port == default else f":{port}"))
    return tuple(dict.fromkeys(found))


def check_logo_url(url: str) -> str:
    """`url` if it is an https URL (http only on a loopback host, for development); raises ValueError."""
    parts = urlsplit(url)
    if len(url) > 2000 or not parts.hostname or any(c in url for c in " \"'<>\\;,"):
        raise ValueError("must be an https URL of an image, such as https://app.example.com/logo.svg")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise ValueError("must be an https URL of an image (http only on 127.0.0.1 or localhost)")
    return url


def check_color(color: str) -> str:
    """`color` in lower case if it is #rrggbb; raises ValueError."""
    if not COLOR.fullmatch(color):
        raise ValueError("must be a color as #rrggbb, such as #7c3aed")
    return color.lower()
