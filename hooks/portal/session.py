"""Portal sessions: made by a sign-in link, bound to one stack, kept in Redis, named by a token in an HttpOnly cookie.

| key                                | type | holds                                                          |
|------------------------------------|------|----------------------------------------------------------------|
| {p}:portal:session:{sha256(token)} | hash | stack, user, csrf, logo_url, color, created_at (TTL: the       |
|                                    |      | link's session length)                                         |

`current` is the pages' dependency: the request's session, or a 401 page (no link used, or it ran out). Signing
out (`end`, the header's Sign out form) deletes the hash and clears the cookie.

The cookie is HttpOnly and scoped to Path=/portal. Over http it is `hooks_portal`, SameSite=Lax: a page of the
same site (another port of the same host, as in the tests) may frame the portal and the cookie still goes along,
while a cross-site POST never carries it. Over https it is `__Secure-hooks_portal`, `SameSite=None; Secure;
Partitioned`: the portal is made to be framed by the product's app, which is usually another site, and a Lax or
Strict cookie is not sent to a cross-site iframe at all; Partitioned (CHIPS) keeps that cookie in a jar of the
embedding site only, so it is no third-party cookie that could follow the user elsewhere, and browsers that block
third-party cookies still accept it. What SameSite no longer guards, the forms do: each carries the session's
CSRF token (compared in constant time) and must come from the portal's own origin (Sec-Fetch-Site / Origin,
hooks/api/ui/session.py `same_origin`); frame-ancestors limits who may frame it (hooks/api/security.py).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from hooks.api.ui.session import https
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

COOKIE = "hooks_portal"
SECURE_COOKIE = "__Secure-hooks_portal"
PATH = "/portal"


@dataclass(frozen=True)
class PortalSession:
    """A signed-in portal user: the one stack they see, who the product says they are, the form token, the theme."""

    token_hash: str
    stack: str
    user: str
    csrf: str
    logo_url: str = ""
    color: str = ""


class PortalLoginRequired(Exception):
    """No portal session: the page says to open a new link from the product."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(settings: Settings, token_hash: str) -> str:
    """The Redis key of a session."""
    return f"{settings.key_prefix}:portal:session:{token_hash}"


def start(settings: Settings, stack: str, user: str, ttl_s: int, *, logo_url: str = "", color: str = "") -> str:
    """A new session for `stack`; returns its token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    name = session_key(settings, _hash(token))
    with get_redis(settings).pipeline(transaction=True) as pipe:
        pipe.hset(name, mapping={"stack": stack, "user": user, "csrf": secrets.token_urlsafe(32), "logo_url": logo_url,
                                 "color": color, "created_at": time.time()})  # fmt: skip
        pipe.expire(name, ttl_s)
        pipe.execute()
    return token


def load(settings: Settings, token: str | None) -> PortalSession | None:
    """The session of a cookie's token, or None."""
    if not token or len(token) > 100:
        return None
    raw: dict[bytes, bytes] = get_redis(settings).hgetall(session_key(settings, _hash(token)))  # type: ignore[assignment]
    if not raw:
        return None
    text = {k.decode(): v.decode() for k, v in raw.items()}
    return PortalSession(_hash(token), text["stack"], text.get("user", ""), text["csrf"], text.get("logo_url", ""),
                         text.get("color", ""))  # fmt: skip


def cookie_token(request: Request) -> str | None:
    """The session token of the request's cookie (the https name over https, the plain one over http)."""
    return request.cookies.get(SECURE_COOKIE if https(request) else COOKIE)


def current(request: Request) -> PortalSession:
    """The request's portal session (the pages' dependency); raises PortalLoginRequired."""
    found = load(get_settings(), cookie_token(request))
    if found is None:
        raise PortalLoginRequired()
    return found


def set_cookie(response: Response, request: Request, token: str, max_age_s: int) -> None:
    """The session cookie (see the module docstring for why its attributes differ over http and https)."""
    if https(request):
        response.set_cookie(SECURE_COOKIE, token, max_age=max_age_s, path=PATH, httponly=True, samesite="none",
                            secure=True)  # fmt: skip
        _partitioned(response)
    else:
        response.set_cookie(COOKIE, token, max_age=max_age_s, path=PATH, httponly=True, samesite="lax")


def end(settings: Settings, session: PortalSession) -> None:
    """Sign out: the session is gone from Redis, so its cookie opens nothing, wherever a copy of it is kept."""
    get_redis(settings).delete(session_key(settings, session.token_hash))


def clear_cookie(response: Response, request: Request) -> None:
    """Remove the cookie of `set_cookie` (with the same attributes: a partitioned cookie is removed only so)."""
    if https(request):
        response.delete_cookie(SECURE_COOKIE, path=PATH, httponly=True, samesite="none", secure=True)
        _partitioned(response)
    else:
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")


def _partitioned(response: Response) -> None:
    """Add `Partitioned` to the cookie just set (Starlette sets it only on Python 3.14 and later)."""
    for i in range(len(response.raw_headers) - 1, -1, -1):
        name, value = response.raw_headers[i]
        if name == b"set-cookie":
            response.raw_headers[i] = (name, value + b"; Partitioned")
            return
