"""Portal sessions: made by a sign-in link, bound to one stack, kept in Redis, named by a token in an HttpOnly cookie.

Redis keeps `PortalKeys.session` (hooks/portal/keys.py): stack, user, csrf, logo_url, color, key_id, created_at,
with the link's session length as TTL. `current` is the pages' dependency: the request's session, or a 401 page
(no link used, it ran out, or the API key that asked for its link was revoked: `key_id`, checked on every load as
the dashboard's sessions re-read their key; a link made in Python or by the CLI has none).

`current` is the pages' dependency (above). Signing out (`end`, the header's Sign out form) deletes the hash and
clears the cookie.

Over http the cookie is `hooks_portal`, Path=/portal, SameSite=Lax: a page of the same site (another port of the
same host, as in the tests) may frame the portal and the cookie still goes along, while a cross-site POST never
carries it. Over https it is `__Host-hooks_portal`: Secure, Path=/, no Domain, so the browser refuses one planted
by a sibling subdomain (which a `__Secure-` name with Path=/portal would take); and `SameSite=None; Partitioned`:
the portal is made to be framed by the product's app, which is usually another site, and a Lax or Strict cookie
is not sent to a cross-site iframe at all; Partitioned (CHIPS) keeps that cookie in a jar of the embedding site
only, so it is no third-party cookie that could follow the user elsewhere, and browsers that block third-party
cookies still accept it. What SameSite no longer guards, the forms do: each carries the session's CSRF token
(compared in constant time) and must come from the portal's own origin (Sec-Fetch-Site / Origin,
hooks/api/ui/session.py `same_origin`); frame-ancestors limits who may frame it (hooks/api/security.py).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from hooks.api.apikeys import get_key
from hooks.api.ui.session import https
from hooks.errors import NotFoundError
from hooks.portal.keys import PortalKeys, token_hash
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

COOKIE = "hooks_portal"
SECURE_COOKIE = "__Host-hooks_portal"
PATH = "/portal"  # over http; `__Host-` cookies must have Path=/


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


def start(settings: Settings, stack: str, user: str, ttl_s: int, *, logo_url: str = "", color: str = "",
          key_id: str = "") -> str:  # fmt: skip
    """A new session for `stack` (ended early when API key `key_id`, if any, is revoked); returns its token."""
    token = secrets.token_urlsafe(32)
    name = PortalKeys(settings).session(token_hash(token))
    with get_redis(settings).pipeline(transaction=True) as pipe:
        pipe.hset(name, mapping={"stack": stack, "user": user, "csrf": secrets.token_urlsafe(32), "logo_url": logo_url,
                                 "color": color, "key_id": key_id, "created_at": time.time()})  # fmt: skip
        pipe.expire(name, ttl_s)
        pipe.execute()
    return token


def load(settings: Settings, token: str | None) -> PortalSession | None:
    """The session of a cookie's token, or None (none, expired, or the API key that asked for its link revoked)."""
    if not token or len(token) > 100:
        return None
    hashed = token_hash(token)
    raw: dict[bytes, bytes] = get_redis(settings).hgetall(PortalKeys(settings).session(hashed))  # type: ignore[assignment]
    if not raw:
        return None
    text = {k.decode(): v.decode() for k, v in raw.items()}
    if not _key_alive(settings, text.get("key_id", "")):
        get_redis(settings).delete(PortalKeys(settings).session(hashed))
        return None
    return PortalSession(hashed, text["stack"], text.get("user", ""), text["csrf"], text.get("logo_url", ""),
                         text.get("color", ""))  # fmt: skip


def _key_alive(settings: Settings, key_id: str) -> bool:
    """Whether the API key that asked for the session's link still exists (True for a link made without one)."""
    if not key_id:
        return True
    try:
        get_key(key_id, settings=settings)
    except NotFoundError:
        return False
    return True


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
        response.set_cookie(SECURE_COOKIE, token, max_age=max_age_s, path="/", httponly=True, samesite="none",
                            secure=True)  # fmt: skip
        _partitioned(response)
    else:
        response.set_cookie(COOKIE, token, max_age=max_age_s, path=PATH, httponly=True, samesite="lax")


def end(settings: Settings, session: PortalSession) -> None:
    """Sign out: the session is gone from Redis, so its cookie opens nothing, wherever a copy of it is kept."""
    get_redis(settings).delete(PortalKeys(settings).session(session.token_hash))


def clear_cookie(response: Response, request: Request) -> None:
    """Remove the cookie of `set_cookie` (with the same attributes: a partitioned cookie is removed only so)."""
    if https(request):
        response.delete_cookie(SECURE_COOKIE, path="/", httponly=True, samesite="none", secure=True)
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
