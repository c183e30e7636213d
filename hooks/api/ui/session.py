"""Dashboard logins: a session per login, kept in Redis, named by a random token in an HttpOnly cookie.

The cookie (`hooks_session`) is HttpOnly, SameSite=Strict, Path=/ui; served over https (HOOKS_API_PUBLIC_URL
https://..., or a TLS proxy of HOOKS_API_FORWARDED_ALLOW_IPS that says so with X-Forwarded-Proto), it is
`__Host-hooks_session`, Secure, Path=/, which no other origin can set or shadow. Redis keeps the session under the SHA-256 of the token, with the API key's id and the session's CSRF
token, for HOOKS_API_SESSION_TTL_S. Every form carries the CSRF token and every POST checks it in constant time;
the login form, before there is a session, carries an HMAC of a nonce kept in a cookie of its own
(hooks/api/ui/login.py). Every form POST must come from this origin (`same_origin`: Sec-Fetch-Site and Origin,
when the browser sends them; scheme, host and port), so a page on another port of the same host cannot post
one: a TLS proxy must pass the Host header on (nginx: `proxy_set_header Host $host;`), or HOOKS_API_PUBLIC_URL
names the origin. A revoked key ends its sessions: each request
reads the key again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response

from hooks.api.apikeys import ApiKey, get_key
from hooks.api.keys import ApiKeys
from hooks.errors import NotFoundError
from hooks.settings import Settings, get_settings
from hooks.settings.public_url import DEFAULT_PORTS
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


def token_hash(token: str) -> str:
    """What Redis keeps of a session's (or a portal link's) token: its SHA-256, so a copy of Redis signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(settings: Settings, key: ApiKey) -> str:
    """A new session for `key`; returns its token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    name = ApiKeys(settings).session(token_hash(token))
    with get_redis(settings).pipeline(transaction=True) as pipe:
        pipe.hset(name, mapping={"key_id": key.id, "csrf": secrets.token_urlsafe(32), "created_at": time.time()})
        pipe.expire(name, int(settings.api_session_ttl_s))
        pipe.execute()
    return token


def load(settings: Settings, request: Request) -> Session | None:
    """The request's session, or None (no cookie, expired, logged out, or its key revoked)."""
    token = read_cookie(request, COOKIE)
    if not token or len(token) > 100:
        return None
    raw: dict[bytes, bytes] = get_redis(settings).hgetall(ApiKeys(settings).session(token_hash(token)))  # type: ignore[assignment]
    if not raw:
        return None
    try:
        key = get_key(raw[b"key_id"].decode(), settings=settings)
    except (NotFoundError, KeyError):
        return None
    if key.stack is not None:  # never made by login (it refuses such keys): the dashboard is for global keys
        return None
    return Session(token_hash(token), key, raw[b"csrf"].decode())


def end(settings: Settings, session: Session) -> None:
    """Log out: the session is gone from Redis, whatever the browser keeps."""
    get_redis(settings).delete(ApiKeys(settings).session(session.token_hash))


def same(expected: str, given: str | None) -> bool:
    """Constant-time comparison of two tokens (False when one is missing)."""
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


def same_origin(request: Request) -> bool:
    """Whether a form POST may come from this origin: False when the browser says it comes from elsewhere
    (Sec-Fetch-Site other than same-origin, or an Origin whose scheme, host and port are not this origin's:
    HOOKS_API_PUBLIC_URL's when set, else the request's own, each scheme with its default port)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    try:
        given = (parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme))
    except ValueError:  # a port that is not one
        return False
    return given == own_origin(request)


def own_origin(request: Request) -> tuple[str, str | None, int | None]:
    """(scheme, host, port) of this dashboard: HOOKS_API_PUBLIC_URL's when set, else the request's."""
    public = get_settings().api_origin
    if public is not None:
        return public
    url = request.url
    return url.scheme, url.hostname, url.port or DEFAULT_PORTS.get(url.scheme)


def https(request: Request) -> bool:
    """Whether the browser uses https: HOOKS_API_PUBLIC_URL says so, or the request came over https (uvicorn reads
    X-Forwarded-Proto from a proxy of HOOKS_API_FORWARDED_ALLOW_IPS)."""
    public = get_settings().api_origin
    return (public is not None and public[0] == "https") or request.url.scheme == "https"


def cookie_name(name: str, secure: bool) -> str:
    """A cookie's name: `__Host-` first over https (the browser then keeps it Secure, Path=/, host-only)."""
    return f"__Host-{name}" if secure else name


def read_cookie(request: Request, name: str) -> str | None:
    """The value of one of our cookies (as set by `set_cookie`), or None."""
    return request.cookies.get(cookie_name(name, https(request)))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age_s: int) -> None:
    """An HttpOnly, SameSite=Strict cookie under /ui (over https: `__Host-`, Secure, Path=/)."""
    put_cookie(response, https(request), name, value, max_age_s)


def put_cookie(response: Response, secure: bool, name: str, value: str, max_age_s: int) -> None:
    """`set_cookie` for a response of a request that was (`secure`) or was not over https."""
    response.set_cookie(cookie_name(name, secure), value, max_age=max_age_s, path="/" if secure else PATH,
                        httponly=True, samesite="strict", secure=secure)  # fmt: skip


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a cookie set by `set_cookie`."""
    secure = https(request)
    response.delete_cookie(cookie_name(name, secure), path="/" if secure else PATH, httponly=True, samesite="strict",
                           secure=secure)  # fmt: skip
