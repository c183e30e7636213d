"""Dashboard logins: a session per login, kept in Redis, named by a random token in an HttpOnly cookie.

The cookie (`hooks_session`) is HttpOnly, SameSite=Strict, Path=/ui, and Secure when the page is served over
https; Redis keeps the session under the SHA-256 of the token, with the API key's id and the session's CSRF
token, for HOOKS_API_SESSION_TTL_S. Every form carries the CSRF token and every POST checks it in constant time;
the login form, before there is a session, checks a token against a short-lived cookie of its own
(double submit). A revoked key ends its sessions: each request reads the key again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from hooks.api.apikeys import ApiKey, get_key
from hooks.api.keys import ApiKeys
from hooks.errors import NotFoundError
from hooks.settings import Settings
from hooks.store.connection import get_redis

COOKIE = "hooks_session"
LOGIN_COOKIE = "hooks_login_csrf"
PATH = "/ui"


@dataclass(frozen=True)
class Session:
    """A logged-in dashboard user: the key they logged in with and the session's CSRF token."""

    token_hash: str
    key: ApiKey
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(settings: Settings, key: ApiKey) -> str:
    """A new session for `key`; returns its token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    name = ApiKeys(settings).session(_hash(token))
    with get_redis(settings).pipeline(transaction=True) as pipe:
        pipe.hset(name, mapping={"key_id": key.id, "csrf": secrets.token_urlsafe(32), "created_at": time.time()})
        pipe.expire(name, int(settings.api_session_ttl_s))
        pipe.execute()
    return token


def load(settings: Settings, request: Request) -> Session | None:
    """The request's session, or None (no cookie, expired, logged out, or its key revoked)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    raw: dict[bytes, bytes] = get_redis(settings).hgetall(ApiKeys(settings).session(_hash(token)))  # type: ignore[assignment]
    if not raw:
        return None
    try:
        key = get_key(raw[b"key_id"].decode(), settings=settings)
    except (NotFoundError, KeyError):
        return None
    return Session(_hash(token), key, raw[b"csrf"].decode())


def end(settings: Settings, session: Session) -> None:
    """Log out: the session is gone from Redis, whatever the browser keeps."""
    get_redis(settings).delete(ApiKeys(settings).session(session.token_hash))


def same(expected: str, given: str | None) -> bool:
    """Constant-time comparison of two tokens (False when one is missing)."""
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


def set_cookie(response: Response, request: Request, name: str, value: str, max_age_s: int) -> None:
    """An HttpOnly, SameSite=Strict cookie under /ui (Secure over https)."""
    response.set_cookie(name, value, max_age=max_age_s, path=PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a cookie set by `set_cookie`."""
    response.delete_cookie(name, path=PATH, httponly=True, samesite="strict", secure=request.url.scheme == "https")
