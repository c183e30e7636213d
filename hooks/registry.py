"""Webhooks in Redis: create, read, update, delete, and the index that resolves an event to its webhooks.

The index never scans every webhook. Patterns without wildcards are sets keyed by the exact channel, found by
direct lookup of the event's type and channels; wildcard patterns are listed per stack (usually few) and matched
in memory, then their sets are read. Branch and enabled are checked on the (few) candidates.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from typing import Any

import pydantic
import redis

from config import Settings, get_settings
from hooks.connection import get_redis
from hooks.errors import NotFoundError, ValidationError
from hooks.keys import Keys
from hooks.matching import branch_matches, is_wildcard, topic_matches
from hooks.validation import from_pydantic
from hooks.webhooks import Webhook, parse_stored, utcnow

_IMMUTABLE = {"id", "created_at", "updated_at"}


def create_webhook(url: str, events: Iterable[str], **fields: Any) -> Webhook:
    """Register a webhook and return it (with its generated id and secret); raises ValidationError."""
    settings = get_settings()
    if "id" in fields or "created_at" in fields:
        raise ValidationError("id: is assigned by the system and cannot be given.")
    webhook = _validate({"url": url, "events": _as_list(events, "events"), **fields})
    check_destination(webhook.url, settings)
    client = get_redis(settings)
    with client.pipeline(transaction=True) as pipe:
        _write(pipe, Keys(settings), webhook, old=None)
        pipe.execute()
    return webhook


def get_webhook(webhook_id: str) -> Webhook:
    """The webhook with this id; raises NotFoundError."""
    raw = get_redis().get(Keys(get_settings()).webhook(_check_id(webhook_id)))
    if raw is None:
        raise NotFoundError(f"webhook {webhook_id} does not exist.")
    return parse_stored(raw)


def list_webhooks(*, stack: str | None = None) -> list[Webhook]:
    """Every webhook (of one stack, if given), oldest first."""
    settings = get_settings()
    client = get_redis(settings)
    keys = Keys(settings)
    ids = [i.decode() for i in client.zrange(keys.webhooks_all, 0, -1)]
    out: list[Webhook] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for raw in client.mget([keys.webhook(i) for i in chunk]):
            if raw is not None:
                wh = parse_stored(raw)
                if stack is None or wh.stack == stack:
                    out.append(wh)
    return out


def update_webhook(webhook_id: str, **changes: Any) -> Webhook:
    """Change some fields of a webhook and return it; raises NotFoundError or ValidationError."""
    settings = get_settings()
    bad = sorted(set(changes) & _IMMUTABLE)
    if bad:
        raise ValidationError(f"{bad[0]}: cannot be changed.")
    if "events" in changes:
        changes["events"] = _as_list(changes["events"], "events")
    client = get_redis(settings)
    keys = Keys(settings)
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(keys.webhook(_check_id(webhook_id)))
                raw = pipe.get(keys.webhook(webhook_id))
                if raw is None:
                    raise NotFoundError(f"webhook {webhook_id} does not exist.")
                old = parse_stored(raw)
                data = {**old.model_dump(), **changes, "updated_at": utcnow()}
                new = _validate(data)
                if new.url != old.url:
                    check_destination(new.url, settings)
                pipe.multi()
                _write(pipe, keys, new, old=old)
                pipe.execute()
                return new
            except redis.WatchError:
                continue


def delete_webhook(webhook_id: str) -> None:
    """Remove a webhook and its index entries; raises NotFoundError."""
    settings = get_settings()
    keys = Keys(settings)
    old = get_webhook(webhook_id)
    with get_redis(settings).pipeline(transaction=True) as pipe:
        _unindex(pipe, keys, old)
        pipe.delete(keys.webhook(old.id), keys.webhook_state(old.id))
        pipe.zrem(keys.webhooks_all, old.id)
        pipe.execute()


def enable_webhook(webhook_id: str) -> Webhook:
    """Enable a webhook, clearing why it was disabled and resetting its breaker; raises NotFoundError."""
    from hooks.breaker import reset

    webhook = update_webhook(webhook_id, enabled=True, disabled_reason=None, disabled_at=None)
    reset(get_redis(), get_settings(), webhook_id)
    return webhook


def disable_webhook(webhook_id: str, reason: str = "disabled by an operator") -> Webhook:
    """Disable a webhook (it receives nothing until enabled); raises NotFoundError."""
    return update_webhook(webhook_id, enabled=False, disabled_reason=reason, disabled_at=utcnow())


def rotate_secret(webhook_id: str, *, grace_s: float = 86400, new_secret: str | None = None) -> Webhook:
    """Give a webhook a new secret; the old one keeps signing too for `grace_s`. Raises NotFoundError/ValidationError."""
    from datetime import timedelta

    from hooks.webhooks import OldSecret, generate_secret

    if not isinstance(grace_s, (int, float)) or not 0 <= grace_s <= 30 * 86400:
        raise ValidationError("grace: must be between 0 seconds and 30 days.")
    current = get_webhook(webhook_id)
    now = utcnow()
    kept = [o for o in current.old_secrets if o.expires_at > now]
    if grace_s > 0:
        kept.append(OldSecret(secret=current.secret, expires_at=now + timedelta(seconds=grace_s)))
    return update_webhook(webhook_id, secret=new_secret or generate_secret(), old_secrets=kept[-5:])


def resolve(stack: str, branch: str, topics: Iterable[str], client: redis.Redis | None = None) -> list[Webhook]:
    """The enabled webhooks of `stack` and `branch` with a pattern matching any topic, each once."""
    settings = get_settings()
    keys = Keys(settings)
    client = client or get_redis(settings)
    topics = tuple(topics)
    with client.pipeline(transaction=False) as pipe:
        pipe.sunion([keys.exact(stack, t) for t in topics])
        pipe.hkeys(keys.wild_patterns(stack))
        exact_ids, wild_patterns = pipe.execute()
    patterns = [p.decode() for p in wild_patterns]
    hits = [p for p in patterns if any(topic_matches(p, t) for t in topics)]
    ids = set(exact_ids)
    if hits:
        ids |= client.sunion([keys.wild(stack, p) for p in hits])
    if not ids:
        return []
    ordered = sorted(i.decode() for i in ids)
    out = []
    for raw in client.mget([keys.webhook(i) for i in ordered]):
        if raw is None:
            continue
        wh = parse_stored(raw)
        if wh.enabled and branch_matches(wh.branches, branch):
            out.append(wh)
    return out


def check_destination(url: str, settings: Settings) -> None:
    """Refuse a URL whose host is, or resolves to, a blocked address; raises ValidationError."""
    from hooks.ssrf import parse_networks, parse_url, resolve_checked

    target = parse_url(url, require_https=settings.require_https)
    # a name that does not resolve yet is accepted: the guard checks it again at every attempt
    with contextlib.suppress(socket.gaierror, UnicodeError):
        resolve_checked(
            target,
            allow_private=settings.allow_private_networks,
            allowed_networks=parse_networks(settings.allowed_networks),
        )


def _validate(data: dict[str, Any]) -> Webhook:
    try:
        return Webhook.model_validate(data)
    except pydantic.ValidationError as exc:
        raise from_pydantic(exc) from None


def _as_list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise ValidationError(f"{field}: expected a list, got {type(value).__name__}.")
    return list(value)


def _check_id(webhook_id: Any) -> str:
    if not isinstance(webhook_id, str) or not webhook_id.startswith("wh_") or len(webhook_id) != 29:
        raise NotFoundError(f"webhook {webhook_id!r} does not exist (ids look like wh_01J...).")
    return webhook_id


def _write(pipe: Any, keys: Keys, webhook: Webhook, old: Webhook | None) -> None:
    if old is not None:
        _unindex(pipe, keys, old)
    pipe.set(keys.webhook(webhook.id), webhook.model_dump_json())
    pipe.zadd(keys.webhooks_all, {webhook.id: webhook.created_at.timestamp() * 1000})
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.hincrby(keys.wild_patterns(webhook.stack), pattern, 1)
            pipe.sadd(keys.wild(webhook.stack, pattern), webhook.id)
        else:
            pipe.sadd(keys.exact(webhook.stack, pattern), webhook.id)


def _unindex(pipe: Any, keys: Keys, webhook: Webhook) -> None:
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.srem(keys.wild(webhook.stack, pattern), webhook.id)
            pipe.hincrby(keys.wild_patterns(webhook.stack), pattern, -1)
        else:
            pipe.srem(keys.exact(webhook.stack, pattern), webhook.id)
    # a wildcard pattern no webhook of the stack uses any more stops being matched against every event
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.eval(_PRUNE_LUA, 1, keys.wild_patterns(webhook.stack), pattern)


_PRUNE_LUA = (
    "if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end"
)
