"""Webhooks in Redis: create, read, update, delete, enable, disable and rotate their secrets.

Every write stores the webhook's JSON and updates its index (hooks/registry/index.py) in one MULTI transaction;
an update reads under WATCH, so two concurrent updates of one webhook never interleave.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pydantic
import redis

from hooks.errors import BlockedAddressError, NotFoundError, ValidationError
from hooks.metrics.keys import MetricKeys
from hooks.models.rules import from_pydantic
from hooks.models.webhook import OldSecret, Webhook, generate_secret, parse_stored, utcnow
from hooks.registry.credentials import stored_credentials
from hooks.registry.health import reset
from hooks.registry.index import unindex, write
from hooks.settings import Settings, get_settings
from hooks.ssrf import parse_url, resolve_checked
from hooks.store.connection import decoded, get_redis
from hooks.store.keys import Keys

_IMMUTABLE = {"id", "created_at", "updated_at"}


def create_webhook(url: str, events: Iterable[str], **fields: Any) -> Webhook:
    """Register a webhook and return it (with its generated id and secret); raises ValidationError."""
    settings = get_settings()
    if "id" in fields or "created_at" in fields:
        raise ValidationError("id: is assigned by the system and cannot be given.")
    fields = stored_credentials(fields, None, settings)
    webhook = _validate({"url": url, "events": _as_list(events, "events"), **fields})
    check_destination(webhook.url, settings)
    if webhook.oauth2 is not None:
        check_destination(webhook.oauth2.token_url, settings, field="oauth2.token_url")
    client = get_redis(settings)
    with client.pipeline(transaction=True) as pipe:
        write(pipe, Keys(settings), webhook, old=None)
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
    ids = decoded(client.zrange(keys.webhooks_all, 0, -1))
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
                data = {**old.model_dump(), **stored_credentials(changes, old, settings), "updated_at": utcnow()}
                new = _validate(data)
                if new.url != old.url:
                    check_destination(new.url, settings)
                if new.oauth2 is not None and (old.oauth2 is None or new.oauth2.token_url != old.oauth2.token_url):
                    check_destination(new.oauth2.token_url, settings, field="oauth2.token_url")
                pipe.multi()
                write(pipe, keys, new, old=old)
                pipe.execute()
                return new
            except redis.WatchError:
                continue


def delete_webhook(webhook_id: str) -> None:
    """Remove a webhook and its index entries; raises NotFoundError.

    It leaves the overview at once: its breaker is closed (the deliveries parked behind it are released, and the
    drains end them `webhook_deleted`), and it leaves the metrics' ranking of active webhooks.
    """
    settings = get_settings()
    keys = Keys(settings)
    old = get_webhook(webhook_id)
    client = get_redis(settings)
    with client.pipeline(transaction=True) as pipe:
        unindex(pipe, keys, old)
        pipe.delete(keys.webhook(old.id))
        pipe.zrem(keys.webhooks_all, old.id)
        pipe.srem(keys.ordered, old.id)
        pipe.hdel(keys.held, old.id)
        pipe.hdel(keys.rates, old.id)
        pipe.delete(keys.bucket(old.id))
        pipe.execute()
    reset(client, settings, old.id)  # after: a drain that reads the webhook now finds it gone
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(keys.webhook_state(old.id), keys.oauth2_token(old.id))
        pipe.zrem(MetricKeys(settings).activity, old.id)
        pipe.execute()


def enable_webhook(webhook_id: str) -> Webhook:
    """Enable a webhook, clearing why it was disabled and resetting its breaker; raises NotFoundError."""
    webhook = update_webhook(webhook_id, enabled=True, disabled_reason=None, disabled_at=None)
    reset(get_redis(), get_settings(), webhook_id)
    return webhook


def disable_webhook(webhook_id: str, reason: str = "disabled by an operator") -> Webhook:
    """Disable a webhook (it receives nothing until enabled); raises NotFoundError."""
    return update_webhook(webhook_id, enabled=False, disabled_reason=reason, disabled_at=utcnow())


def rotate_secret(webhook_id: str, *, grace_s: float = 86400, new_secret: str | None = None) -> Webhook:
    """Give a webhook a new secret; the old one keeps signing too for `grace_s`. Raises NotFoundError/ValidationError."""
    if not isinstance(grace_s, (int, float)) or not 0 <= grace_s <= 30 * 86400:
        raise ValidationError("grace: must be between 0 seconds and 30 days.")
    current = get_webhook(webhook_id)
    now = utcnow()
    kept = [o for o in current.old_secrets if o.expires_at > now]
    if grace_s > 0:
        kept.append(OldSecret(secret=current.secret, expires_at=now + timedelta(seconds=grace_s)))
    return update_webhook(webhook_id, secret=new_secret or generate_secret(), old_secrets=kept[-5:])


def check_destination(url: str, settings: Settings, *, field: str = "url") -> None:
    """Refuse a URL whose host is, or resolves to, a blocked address; raises ValidationError naming `field`."""
    if "…" in url or "%e2%80%a6" in url.lower():  # a masked URL sent back with a change: its secrets are lost
        raise ValidationError(
            f"{field}: re-type the masked parts (…) of the URL in full; a masked value cannot be saved."
        )
    try:
        target = parse_url(url, require_https=settings.require_https)
        # a name that does not resolve yet is accepted: the guard checks it again at every attempt
        with contextlib.suppress(socket.gaierror, UnicodeError):
            resolve_checked(
                target,
                allow_private=settings.allow_private_networks,
                allowed_networks=settings.networks,
            )
    except BlockedAddressError as exc:
        if field == "url":
            raise
        raise BlockedAddressError(
            field + str(exc).removeprefix("url"), address=exc.address, reason=exc.reason
        ) from None
    except ValidationError as exc:
        if field == "url":
            raise
        raise ValidationError(field + str(exc).removeprefix("url")) from None


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
