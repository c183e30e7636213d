"""Reading deliveries and their attempt log: one by id, or listed newest first with filters.

A delivery is a hash (hooks/models/delivery.py); its attempts are a list of JSON records. Both expire after the
retention period.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from config import Settings, get_settings
from hooks.errors import NotFoundError, ValidationError
from hooks.models.delivery import STATUSES, Delivery, parse_delivery
from hooks.models.ids import split_delivery_id
from hooks.store.connection import decoded, get_redis
from hooks.store.keys import Keys


def get_delivery(delivery_id: str, *, with_attempts: bool = True) -> Delivery:
    """A delivery and its attempt log; raises NotFoundError."""
    settings = get_settings()
    keys = Keys(settings)
    _check_id(delivery_id)
    with get_redis(settings).pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.delivery(delivery_id))
        pipe.lrange(keys.attempts(delivery_id), 0, -1)
        raw, attempts = pipe.execute()
    if not raw:
        raise NotFoundError(f"delivery {delivery_id} does not exist (or has expired).")
    d = parse_delivery(delivery_id, raw)
    if with_attempts:
        d.attempt_log = [json.loads(a) for a in attempts]
    return d


def list_deliveries(
    *, webhook_id: str | None = None, event_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[Delivery]:
    """The newest deliveries, filtered by webhook, event and status; raises ValidationError on a bad filter."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status: must be one of {', '.join(STATUSES)}, got {status!r}.")
    if not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit: must be a positive integer.")
    settings = get_settings()
    keys = Keys(settings)
    client = get_redis(settings)
    index = (
        keys.deliveries_by_event(event_id) if event_id
        else keys.deliveries_by_webhook(webhook_id) if webhook_id
        else keys.deliveries_all
    )  # fmt: skip
    out: list[Delivery] = []
    offset, page = 0, 500
    while len(out) < limit:
        ids = decoded(client.zrevrange(index, offset, offset + page - 1))
        if not ids:
            break
        offset += page
        with client.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hgetall(keys.delivery(i))
            raws = pipe.execute()
        for i, raw in zip(ids, raws, strict=True):
            if not raw:
                continue  # expired: its index entry is trimmed by prune_indexes
            d = parse_delivery(i, raw)
            if (webhook_id and d.webhook_id != webhook_id) or (status and d.status != status):
                continue
            out.append(d)
            if len(out) >= limit:
                break
    return out


def prune_indexes(client: redis.Redis, settings: Settings, now_s: float) -> None:
    """Drop index entries older than the retention period (the records themselves expire by TTL)."""
    cutoff = now_s - settings.retention_days * 86400
    client.zremrangebyscore(Keys(settings).deliveries_all, "-inf", cutoff)


def _check_id(delivery_id: Any) -> None:
    try:
        split_delivery_id(delivery_id)
    except (ValueError, AttributeError):
        raise NotFoundError(f"delivery {delivery_id!r} does not exist (ids look like msg_01J..._01J...).") from None
