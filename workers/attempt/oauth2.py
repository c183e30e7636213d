"""OAuth2 client credentials (RFC 6749 §4.4): a bearer token per webhook, fetched once, shared by every worker.

The token is asked for with a POST (`grant_type=client_credentials`, the client authenticated with HTTP Basic as
§2.3.1 has it, or in the form body if so configured) sent by http.post, so the token URL goes through the SSRF
guard and our client like any endpoint. It is kept in Redis sealed (HOOKS_ENCRYPTION_KEY) with a digest of the
webhook's OAuth2 settings (changed settings: a new token), until `expires_in` less a margin (10%, at most 30 s),
and in this process until then too. One worker fetches at a time (a lock in Redis): the others wait for its token.
When the endpoint answers 401, `send` asks for a token from a fetch later than the refused one's and retries once:
each fetch is stamped (its time), and a waiter takes a token fetched since, even one equal to the refused token
(many providers hand out the same token until it expires), instead of fetching again in turn.

The whole attempt (waiting on another worker's fetch, the fetch, the POST, and after a 401 the same once more)
has ONE deadline, HOOKS_REQUEST_TIMEOUT_S from its start, as a plain attempt has: a drain's lease covers one
request, and an attempt outliving it would be sent again by another drain. Time spent in the token step is an
`oauth_error` (nothing was sent to the endpoint), in a POST a `timeout`.

A failure of the token endpoint is the attempt's `oauth_error` (retried as any failure, and counted by the
webhook's breaker: the token endpoint belongs to the endpoint's owner, and while it fails nothing can be
delivered; backing off spares it). The client secret and tokens are never logged, and errors never hold them.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import ssl
import threading
import time
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote_plus, urlencode

import orjson
import redis

from hooks.errors import ConfigurationError
from hooks.models.credentials import OAuth2Client
from hooks.models.webhook import Webhook
from hooks.registry.credentials import CLIENT_SECRET
from hooks.sealed import seal, unseal
from hooks.settings import Settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from hooks.store.scripts import beside
from workers.attempt.http import HttpResult, post

log = logging.getLogger(__name__)

TOKEN = "oauth2 token"  # the purpose a cached token is sealed for
DEFAULT_EXPIRES_S = 300.0  # a token endpoint that does not say how long its token lasts
_POLL_S = 0.05
_UNLOCK = beside(__file__, "oauth2_unlock")


class Token(NamedTuple):
    """A cached token: its value, when it stops being used and when it was fetched (wall clock). The fetch time
    tells a new fetch from the refused one even when the provider handed out the same value."""

    value: str
    expires_at: float
    fetched_at: float


_memory: dict[str, tuple[str, Token]] = {}  # webhook id -> (settings digest, token)
_memory_lock = threading.Lock()


class OAuthError(Exception):
    """The token could not be had; `detail` says why without a secret (it goes to the attempt log)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def send(webhook: Webhook, body: bytes, headers: dict[str, str], settings: Settings,
         tls: ssl.SSLContext | None) -> HttpResult:  # fmt: skip
    """POST with the webhook's bearer token; on a 401, once more with a fresh one. A token that cannot be had
    is an `oauth_error` result (nothing is sent to the endpoint)."""
    client = get_redis(settings)
    started = time.monotonic()
    deadline = started + settings.request_timeout_s  # the whole attempt's: every step below is bounded by it
    try:
        token = bearer(webhook, settings, client, deadline=deadline)
        headers["Authorization"] = f"Bearer {token.value}"
        result = post(webhook.url, body, headers, settings, tls=tls, deadline=deadline)
        if result.status != 401:
            return result
        token = bearer(webhook, settings, client, refused=token, deadline=deadline)
        headers["Authorization"] = f"Bearer {token.value}"
        return post(webhook.url, body, headers, settings, tls=tls, deadline=deadline)
    except ConfigurationError as exc:  # no key of HOOKS_ENCRYPTION_KEY opens the secret: the message names it, only
        return _failed(webhook, str(exc), started)
    except OAuthError as exc:
        return _failed(webhook, exc.detail, started)


def _failed(webhook: Webhook, detail: str, started: float) -> HttpResult:
    log.warning("deliver: webhook %s: OAuth2 token: %s", webhook.id, detail)
    took = round((time.monotonic() - started) * 1000, 2)
    return HttpResult(None, f"oauth2: {detail}".encode(), "oauth_error", None, None, took)


def bearer(webhook: Webhook, settings: Settings, client: redis.Redis, *, refused: Token | None = None,
           deadline: float | None = None) -> Token:  # fmt: skip
    """The webhook's token: this process's, the cluster's (Redis), or a new one; after a 401 to `refused`, one
    from a later fetch. By `deadline` (time.monotonic(); default HOOKS_REQUEST_TIMEOUT_S from now) or OAuthError."""
    config = webhook.oauth2
    if config is None:
        raise OAuthError("the webhook has no OAuth2 settings")
    digest = settings_digest(config)
    if refused is None:
        with _memory_lock:
            mine = _memory.get(webhook.id)
        if mine is not None and mine[0] == digest and mine[1].expires_at > time.time():
            return mine[1]
    key = Keys(settings).oauth2_token(webhook.id)
    lock, me = key + ":lock", secrets.token_hex(16)
    deadline = time.monotonic() + settings.request_timeout_s if deadline is None else deadline
    while True:
        cached = _read(client, key, digest, settings)
        if cached is not None and _after(cached, refused):
            return _remember(webhook.id, digest, cached)
        left = deadline - time.monotonic()
        if left <= 0:
            raise OAuthError("no token before the attempt's deadline")
        if client.set(lock, me, nx=True, px=int((left + 1) * 1000)):  # held no longer than the fetch can last
            try:
                # read again under the lock: a fetch may have stored its token and let go of the lock between
                # the read above and this SET (without this, a third fetch followed a burst of 401s under load)
                cached = _read(client, key, digest, settings)
                if cached is not None and _after(cached, refused):
                    return _remember(webhook.id, digest, cached)
                token = store(client, key, digest, fetch(config, settings, deadline=deadline), settings)
                return _remember(webhook.id, digest, token)
            finally:
                _UNLOCK.run(client, settings.key_prefix, webhook.id, me)
        time.sleep(min(_POLL_S, left))


def _after(cached: Token, refused: Token | None) -> bool:
    """Whether a cached token may be used after a 401 to `refused`: another value, or the same one fetched again
    (Redis holds only the latest fetch, so another stamp is a later fetch; compared for equality only, the clocks
    of the workers that wrote them are not compared)."""
    return refused is None or cached.value != refused.value or cached.fetched_at != refused.fetched_at


def fetch(config: OAuth2Client, settings: Settings, *, deadline: float | None = None) -> tuple[str, float]:
    """A new token and how many seconds it lasts, from the token endpoint, by `deadline` (time.monotonic(); by
    default HOOKS_REQUEST_TIMEOUT_S from now); raises OAuthError."""
    secret = unseal(config.client_secret_sealed, CLIENT_SECRET, settings.encryption_keys).decode()
    form = {"grant_type": "client_credentials"}
    if config.scope:
        form["scope"] = config.scope
    if config.audience:
        form["audience"] = config.audience
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               "User-Agent": settings.user_agent}  # fmt: skip
    if config.client_auth == "basic":  # RFC 6749 §2.3.1: each part form-urlencoded, then Basic
        pair = f"{quote_plus(config.client_id)}:{quote_plus(secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=config.client_id, client_secret=secret)
    result = post(config.token_url, urlencode(form).encode(), headers, settings, deadline=deadline)
    if result.error is not None:
        raise OAuthError(f"the token endpoint failed ({result.error})")
    if result.status != 200:
        raise OAuthError(f"the token endpoint answered {result.status}")
    return _parse(result.body)


def _parse(body: bytes) -> tuple[str, float]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise OAuthError("the token endpoint's answer is not JSON") from None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable() or " " in token:
        raise OAuthError("the token endpoint's answer has no usable access_token")
    kind = data.get("token_type", "bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise OAuthError("the token endpoint's token is not a bearer token")
    expires_in = data.get("expires_in")
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)
    if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool) or expires_in <= 0:
        expires_in = DEFAULT_EXPIRES_S
    return token, float(expires_in)


@lru_cache(maxsize=4096)
def settings_digest(config: OAuth2Client) -> str:
    """A digest of the settings a token was fetched with: when they change, the cached token is not used. Cached
    (the model is frozen, so hashable; equal settings, equal digest): not a JSON dump and a SHA-256 per delivery."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:32]


def _read(client: redis.Redis, key: str, digest: str, settings: Settings) -> Token | None:
    raw = client.get(key)
    if raw is None:
        return None
    try:
        entry = orjson.loads(raw)
        if entry["d"] != digest:
            return None
        token = unseal(entry["t"], TOKEN, settings.encryption_keys).decode()
        return Token(token, float(entry["e"]), float(entry.get("f", 0.0)))  # "f": absent from older entries
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def store(client: redis.Redis, key: str, digest: str, got: tuple[str, float],
           settings: Settings) -> Token:  # fmt: skip
    """Keep the token for its life less a margin (10%, at most 30 s), stamped with its fetch time."""
    value, expires_in = got
    keep_s = expires_in - min(30.0, expires_in * 0.1)
    sealed = seal(value.encode(), TOKEN, settings.encryption_keys)
    token = Token(value, time.time() + keep_s, time.time())
    client.set(key, orjson.dumps({"d": digest, "t": sealed, "e": token.expires_at, "f": token.fetched_at}),
               px=max(1, int(keep_s * 1000)))  # fmt: skip
    return token


def _remember(webhook_id: str, digest: str, token: Token) -> Token:
    with _memory_lock:
        if len(_memory) > 10_000:
            _memory.clear()
        _memory[webhook_id] = (digest, token)
    return token


def forget() -> None:
    """Drop this process's tokens (tests)."""
    with _memory_lock:
        _memory.clear()
