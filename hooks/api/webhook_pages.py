"""Webhooks a page at a time, oldest first, filtered by stack and enabled (`hooks.list_webhooks` reads them all).

The cursor is the (creation score, id) of the last one shown; the registry's `{p}:wh:all` is read from that
score on, a chunk at a time, so a page costs a few round trips however many webhooks there are.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator

import redis

from hooks.history.cursors import MAX_CURSOR, not_handed_out
from hooks.models.webhook import Webhook, parse_stored
from hooks.settings import get_settings
from hooks.store.keys import Keys

_CHUNK = 500
_LISTING = "webhooks"


def page_webhooks(client: redis.Redis, *, stack: str | None = None, enabled: bool | None = None, limit: int = 50,
                  cursor: str | None = None) -> tuple[list[Webhook], str | None]:  # fmt: skip
    """A page of webhooks and the cursor of the next one (None on the last); raises UnreadableError on a bad cursor."""
    keys = Keys(get_settings())
    score, last = _decode(cursor) if cursor else (float("-inf"), "")
    out: list[tuple[Webhook, float]] = []
    for chunk in _after(client, keys.webhooks_all, score, last):
        for (_, at), raw in zip(chunk, client.mget([keys.webhook(i) for i, _ in chunk]), strict=True):
            if raw is None:
                continue
            webhook = parse_stored(raw)
            if (stack is None or webhook.stack == stack) and (enabled is None or webhook.enabled == enabled):
                out.append((webhook, at))
            if len(out) > limit:
                last_shown, at_shown = out[limit - 1]
                return [w for w, _ in out[:limit]], _encode(at_shown, last_shown.id)
    return [w for w, _ in out], None


def _after(client: redis.Redis, key: str, score: float, last: str) -> Iterator[list[tuple[str, float]]]:
    """Chunks of (id, score) after (score, last) in the sorted set's order."""
    offset = 0
    while True:
        rows: list[tuple[bytes, float]] = client.zrangebyscore(key, score, "+inf", start=offset, num=_CHUNK,
                                                               withscores=True)  # type: ignore[assignment]  # fmt: skip
        if not rows:
            return
        offset += len(rows)
        chunk = [(m, s) for m, s in ((m.decode(), float(s)) for m, s in rows) if (s, m) > (score, last)]
        if chunk:
            yield chunk


def _encode(score: float, webhook_id: str) -> str:
    return base64.urlsafe_b64encode(f"{_LISTING}|{score!r}|{webhook_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[float, str]:
    """The (score, id) of a cursor `_encode` made; raises UnreadableError (NaN or an infinity is none of ours:
    Redis would refuse it as a score, which looked like an outage)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, score, webhook_id = text.split("|")
        if kind != _LISTING or not webhook_id or len(cursor) > MAX_CURSOR or not math.isfinite(float(score)):
            raise ValueError(kind)
        return float(score), webhook_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise not_handed_out() from None
