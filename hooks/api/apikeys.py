"""API keys: made once, stored hashed in Redis, checked in constant time, revoked by id.

A key is `hk_<id>_<secret>`: the id (12 hex digits) names it in listings and logs; the secret is 32 random
bytes. Redis keeps the SHA-256 of the whole key, never the key: the key is shown once, at creation. A key is
read-only (GET only) or read-write, and global (an operator's: every stack) or bound to one stack (a tenant's:
`stack` set; every /v1 route then sees and changes that stack only, and anything of another answers 404).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from hooks.api.keys import ApiKeys
from hooks.errors import NotFoundError, ValidationError
from hooks.models.rules import check_name
from hooks.settings import Settings, get_settings
from hooks.store.connection import decoded, get_redis

__all__ = ["ApiKey", "authenticate", "create_key", "digest", "get_key", "list_keys", "revoke_key"]

PREFIX = "hk_"
_KEY_RE = re.compile(r"^hk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_ID_RE = re.compile(r"^(?:hk_)?([0-9a-f]{12})$")
_TOUCH_EVERY_S = 60.0
_touched: dict[str, float] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored (without the key itself)."""

    id: str
    name: str
    read_only: bool
    created_at: float
    last_used_at: float | None = None
    stack: str | None = None  # None: a global key (operators); else the one stack this key sees

    @property
    def display(self) -> str:
        """How the key is named in listings: `hk_<id>`."""
        return PREFIX + self.id

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (no secret: there is none to show)."""
        return {"id": self.display, "name": self.name, "read_only": self.read_only, "created_at": self.created_at,
                "last_used_at": self.last_used_at, "stack": self.stack}  # fmt: skip


def digest(key: str) -> str:
    """The stored form of a key: SHA-256, hex (the key is 256 random bits: no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(name: str, *, read_only: bool = False, stack: str | None = None,
               settings: Settings | None = None) -> tuple[ApiKey, str]:  # fmt: skip
    """Make a key (bound to `stack` if given); returns it and the key itself (shown once).

    Raises ValidationError on a bad name or stack."""
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.isprintable():
        raise ValidationError("name: must be 1-100 printable characters.")
    if stack is not None:
        check_name(stack, "stack")
    s = settings or get_settings()
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    made = ApiKey(key_id, name, read_only, time.time(), stack=stack)
    keys = ApiKeys(s)
    with get_redis(s).pipeline(transaction=True) as pipe:
        pipe.hset(keys.key(key_id), mapping={"name": name, "sha256": digest(key), "read_only": int(read_only),
                                             "created_at": made.created_at, **({"stack": stack} if stack is not None else {})})  # fmt: skip
        pipe.zadd(keys.all, {key_id: made.created_at})
        pipe.execute()
    return made, key


def authenticate(key: str, *, settings: Settings | None = None) -> ApiKey | None:
    """The stored key `key` is, or None (malformed, unknown, revoked or wrong); compares in constant time."""
    match = _KEY_RE.match(key or "")
    if match is None:
        return None
    s = settings or get_settings()
    client = get_redis(s)
    raw: dict[bytes, bytes] = client.hgetall(ApiKeys(s).key(match[1]))  # type: ignore[assignment]
    if not raw or not hmac.compare_digest(raw.get(b"sha256", b"").decode(), digest(key)):
        return None
    _touch(client, s, match[1])
    return _parse(match[1], raw)


def get_key(key_id: str, *, settings: Settings | None = None) -> ApiKey:
    """A stored key by id (`hk_<id>` or `<id>`); raises NotFoundError."""
    s = settings or get_settings()
    found = _ID_RE.match(key_id or "")
    raw: dict[bytes, bytes] = get_redis(s).hgetall(ApiKeys(s).key(found[1])) if found else {}  # type: ignore[assignment]
    if not found or not raw:
        raise NotFoundError(f"API key {key_id} does not exist.")
    return _parse(found[1], raw)


def list_keys(*, settings: Settings | None = None) -> list[ApiKey]:
    """Every key, oldest first."""
    s = settings or get_settings()
    client, keys = get_redis(s), ApiKeys(s)
    ids = decoded(client.zrange(keys.all, 0, -1))
    with client.pipeline(transaction=False) as pipe:
        for key_id in ids:
            pipe.hgetall(keys.key(key_id))
        rows = pipe.execute()
    return [_parse(key_id, raw) for key_id, raw in zip(ids, rows, strict=True) if raw]


def revoke_key(key_id: str, *, settings: Settings | None = None) -> ApiKey:
    """Delete a key (its dashboard sessions end with it); raises NotFoundError."""
    s = settings or get_settings()
    key = get_key(key_id, settings=s)
    keys = ApiKeys(s)
    with get_redis(s).pipeline(transaction=True) as pipe:
        pipe.delete(keys.key(key.id))
        pipe.zrem(keys.all, key.id)
        pipe.execute()
    return key


def _touch(client: Any, settings: Settings, key_id: str) -> None:
    """Record when a key was last used, at most once a minute per key and process (not a write per request)."""
    now = time.monotonic()
    with _lock:
        if now - _touched.get(key_id, -_TOUCH_EVERY_S) < _TOUCH_EVERY_S:
            return
        _touched[key_id] = now
    client.hset(ApiKeys(settings).key(key_id), "last_used_at", time.time())


def _parse(key_id: str, raw: dict[bytes, bytes]) -> ApiKey:
    text = {k.decode(): v.decode() for k, v in raw.items()}
    last = text.get("last_used_at")
    return ApiKey(key_id, text.get("name", ""), text.get("read_only") == "1", float(text.get("created_at") or 0),
                  float(last) if last else None, text.get("stack"))  # fmt: skip
