"""`/v1/stats`: the whole system now (work in flight, backlogs, the DLQ, every webhook over 1 h and 24 h)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hooks.api.auth import READ
from hooks.api.dlq_size import dlq_size
from hooks.api.stats import overview
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("", dependencies=READ, summary="Work in flight, backlogs, DLQ size, all webhooks over 1 h and 24 h")
def stats() -> dict[str, Any]:
    settings = get_settings()
    return overview(get_redis(settings), settings, dlq_size(settings))
