"""Webhook names for the dashboard's rows: one MGET for a page's ids, so every table shows names, not only ids."""

from __future__ import annotations

from collections.abc import Iterable

from hooks.models.webhook import Webhook, parse_stored
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys


def webhooks_of(ids: Iterable[str]) -> dict[str, Webhook]:
    """The webhooks with these ids that still exist (a deleted one is left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    settings = get_settings()
    raws = get_redis(settings).mget([Keys(settings).webhook(i) for i in wanted])
    return {i: parse_stored(raw) for i, raw in zip(wanted, raws, strict=True) if raw is not None}


def names_of(ids: Iterable[str]) -> dict[str, str]:
    """Webhook id -> name, "(deleted)" for an id whose webhook is gone."""
    wanted = list(ids)
    found = webhooks_of(wanted)
    return {i: found[i].name if i in found else "(deleted)" for i in wanted}
