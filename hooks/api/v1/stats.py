"""`/v1/stats`: the whole system now (work in flight, backlogs, the DLQ, every webhook over 1 h and 24 h); for a
key bound to a stack, that stack's webhooks only (hooks.api.stats.stack_overview)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hooks.api.auth import Reader
from hooks.api.dlq_size import dlq_size
from hooks.api.stats import overview, stack_overview
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("", summary="Work in flight, backlogs, DLQ size, all webhooks over 1 h and 24 h (a key bound to a "
            "stack: that stack's webhooks only)")  # fmt: skip
def stats(key: Reader) -> dict[str, Any]:
    settings = get_settings()
    if key.stack is not None:
        return stack_overview(get_redis(settings), settings, key.stack, dlq_size(settings, stack=key.stack))
    return overview(get_redis(settings), settings, dlq_size(settings))
