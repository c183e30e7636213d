"""Portal sign-in links: what the product's backend asks for and shows its customer (a link, or an iframe's src).

Redis keeps `PortalKeys.link` (hooks/portal/keys.py): JSON {stack, user, session_ttl_s, logo_url, color, key_id}
with the link's ttl_s as TTL (`key_id`: the API key that asked for it, whose revocation ends its session).

The token is 32 random bytes (base64url) in the URL, `{HOOKS_API_PUBLIC_URL}/portal/login?token=...`; Redis keeps
only its SHA-256, so a copy of Redis signs nobody in. Signing in takes the record with GETDEL, one atomic step:
of two browsers racing with one link exactly one gets a session, and a used or expired link finds nothing.
The link is bound to its stack: the session it starts sees that stack only (hooks/portal/session.py).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from hooks.errors import ConfigurationError, ValidationError
from hooks.models.rules import check_name
from hooks.portal.keys import PortalKeys, token_hash
from hooks.settings import Settings, get_settings
from hooks.settings.portal import check_color, check_logo_url
from hooks.store.connection import get_redis

MIN_TTL_S = 60
MAX_TTL_S = 24 * 3600
DEFAULT_TTL_S = 600  # long enough to load an iframe or click a link, short enough that a leaked one is dead soon
DEFAULT_SESSION_TTL_S = 3600
MAX_SESSION_TTL_S = 24 * 3600
MAX_USER = 200
TOKEN_CHARS = 43  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class PortalLink:
    """A sign-in link and when it stops working (Unix seconds)."""

    url: str
    expires_at: float


def _seconds(value: Any, field: str, low: int, high: int) -> int:
    """`value` as whole seconds within [low, high]; raises ValidationError naming `field`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValidationError(f"{field}: expected a number of seconds, got {type(value).__name__}.")
    if not low <= value <= high:
        raise ValidationError(f"{field}: must be from {low} to {high} seconds, got {value:g}.")
    return int(value)


def _user(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_USER or not value.isprintable():
        raise ValidationError(f"user: must be printable text of at most {MAX_USER} characters.")
    return value


def _optional(value: Any, field: str, check: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return str(check(value if isinstance(value, str) else ""))
    except ValueError as exc:
        raise ValidationError(f"{field}: {exc}.") from None


def base_url(settings: Settings) -> str:
    """HOOKS_API_PUBLIC_URL without a trailing slash; raises ConfigurationError when it is not set."""
    if not settings.api_public_url:
        raise ConfigurationError(
            "HOOKS_API_PUBLIC_URL: not set; a portal link needs the origin browsers reach the portal at "
            "(such as https://hooks.example.com)."
        )
    return settings.api_public_url.strip().rstrip("/")


def create_link(stack: str, *, base: str, ttl_s: Any = DEFAULT_TTL_S, user: Any = "",
                session_ttl_s: Any = DEFAULT_SESSION_TTL_S, logo_url: Any = None, primary_color: Any = None,
                settings: Settings | None = None, key_id: str = "") -> PortalLink:  # fmt: skip
    """A new single-use link to `stack`'s portal at `base` (an origin), asked for by API key `key_id` (if any: its
    revocation ends the session); raises ValidationError naming the field."""
    s = settings or get_settings()
    record = {
        "stack": check_name(stack, "stack"),
        "user": _user(user),
        "session_ttl_s": _seconds(session_ttl_s, "session_ttl_s", MIN_TTL_S, MAX_SESSION_TTL_S),
        "logo_url": _optional(logo_url, "logo_url", check_logo_url),
        "color": _optional(primary_color, "primary_color", check_color),
        "key_id": key_id,
    }
    ttl = _seconds(ttl_s, "ttl_s", MIN_TTL_S, MAX_TTL_S)
    token = secrets.token_urlsafe(32)
    get_redis(s).set(PortalKeys(s).link(token_hash(token)), json.dumps(record), ex=ttl)
    return PortalLink(f"{base}/portal/login?token={token}", time.time() + ttl)


def portal_url(stack: str, *, ttl_s: int = DEFAULT_TTL_S, user: str = "",
               session_ttl_s: int = DEFAULT_SESSION_TTL_S, logo_url: str | None = None,
               primary_color: str | None = None, settings: Settings | None = None) -> str:  # fmt: skip
    """A single-use sign-in link to `stack`'s portal, valid `ttl_s` seconds (60 to 86400), whose session lasts
    `session_ttl_s`; `user` is who the product says it is for (shown on the pages); `logo_url` and
    `primary_color` override HOOKS_PORTAL_LOGO_URL / HOOKS_PORTAL_PRIMARY_COLOR for this link. Raises
    ValidationError naming the field, ConfigurationError when HOOKS_API_PUBLIC_URL is not set."""
    s = settings or get_settings()
    return create_link(stack, base=base_url(s), ttl_s=ttl_s, user=user, session_ttl_s=session_ttl_s,
                       logo_url=logo_url, primary_color=primary_color, settings=s).url  # fmt: skip


def consume(settings: Settings, token: str | None) -> dict[str, Any] | None:
    """The link's record, taken (GETDEL: it cannot sign in again), or None when it was used, expired or never was."""
    if not token or len(token) != TOKEN_CHARS:
        return None
    raw = get_redis(settings).getdel(PortalKeys(settings).link(token_hash(token)))
    return json.loads(raw) if raw else None
