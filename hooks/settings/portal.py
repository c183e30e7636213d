"""The portal's settings: who may frame it (HOOKS_PORTAL_FRAME_ANCESTORS) and its default look."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from hooks.settings.public_url import parse_origin

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST = re.compile(rf"(?=.{{1,253}}\Z){LABEL}(?:\.{LABEL})*")  # ASCII names: an IDN in its xn-- form


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
        if not (HOST.fullmatch(host) or _address(host)):  # it goes into a header: ASCII only
            raise ValueError(f"{entry[:60]!r} must name one host in ASCII (an international one in its xn-- form)")
        shown = f"[{host}]" if ":" in host else host
        default = 443 if scheme == "https" else 80
        found.append(f"{scheme}://{shown}" + ("" if port == default else f":{port}"))
    return tuple(dict.fromkeys(found))


def check_logo_url(url: str) -> str:
    """`url` if it is an https URL (http only on a loopback host, for development) of one ASCII host and a valid
    port, without user info; raises ValueError. Its origin goes into the pages' Content-Security-Policy header
    (img-src), which must stay ASCII and must not widen to a wildcard."""
    if len(url) > 2000 or not url.isascii() or not url.isprintable() or any(c in url for c in " \"'<>\\;,"):
        raise ValueError("must be an https URL of an image in ASCII (an international host in its xn-- form), "
                         "such as https://app.example.com/logo.svg")  # fmt: skip
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise ValueError("must be an https URL of an image (http only on 127.0.0.1 or localhost)")
    _check_origin(parts.netloc, parts.hostname, _port(url))
    return url


def _port(url: str) -> int | None:
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("must have a port from 1 to 65535, if any")
    return port


def _check_origin(netloc: str, host: str | None, port: int | None) -> None:
    """The host is one name or address, written as such: no user info, no wildcard, no empty port."""
    if "@" in netloc:
        raise ValueError("must not hold a user name or password")
    if not host or not (HOST.fullmatch(host) or _address(host)):
        raise ValueError("must name one host (no wildcard), such as https://app.example.com/logo.svg")
    shown = (f"[{host}]" if ":" in host else host) + ("" if port is None else f":{port}")
    if netloc.lower() != shown:
        raise ValueError("must name one host, such as https://app.example.com/logo.svg")


def _address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_color(color: str) -> str:
    """`color` in lower case if it is #rrggbb; raises ValueError."""
    if not COLOR.fullmatch(color):
        raise ValueError("must be a color as #rrggbb, such as #7c3aed")
    return color.lower()
