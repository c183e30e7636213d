"""`/v1/dlq`: the dead-letter queue: list, show, replay (one, by webhook, all, since) and purge (hooks.deliveries.dlq).

A key bound to a stack (hooks.api.scope) lists, replays and purges its stack's dead letters only (`all: true`
is all of its stack's); another stack's delivery or webhook answers 404, as an unknown one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from hooks.api.apikeys import ApiKey
from hooks.api.auth import Reader, Writer
from hooks.api.scope import check_delivery, check_webhook_filter
from hooks.api.v1.common import Cursor, delivery_json, limit_of, opened, page_json, when
from hooks.deliveries.dlq import get_dead, list_dead, purge, purge_many, replay, replay_many
from hooks.errors import NotFoundError, ValidationError
from hooks.registry import webhooks as registry

router = APIRouter(prefix="/v1/dlq", tags=["dead-letter queue"])
_PAGE = 500


class Many(BaseModel):
    """Which dead-lettered deliveries: those of one webhook or all of them, optionally dead-lettered since a time."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"webhook_id": "wh_01J...",
                                                                             "since": "2h"}})  # fmt: skip
    webhook_id: StrictStr | None = Field(None, description="A webhook's id (404 if it does not exist and has "
                                         "no dead-lettered deliveries).")  # fmt: skip
    all: StrictBool = False
    since: StrictStr | None = Field(None, description="ISO 8601, Unix seconds or an age (30m, 2h, 7d); replay only.")


@router.get("", summary="Dead-lettered deliveries, newest first")
def list_(key: Reader, webhook_id: str | None = None,
          since: Annotated[str | None, Query(description="dead-lettered at or after (ISO 8601, Unix s, 2h)")] = None,
          limit: int = 50, cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    check_webhook_filter(key, webhook_id, leftovers=lambda: _has_dead(key, webhook_id))
    page = list_dead(webhook_id=webhook_id, since=when(since, "since"), limit=limit_of(limit),
                     cursor=opened(key.stack, "dlq", cursor), stack=key.stack)  # fmt: skip
    return page_json(page, delivery_json, stack=key.stack, listing="dlq")


@router.get("/{delivery_id}", summary="A dead-lettered delivery and its attempts")
def show(delivery_id: str, key: Reader) -> dict[str, Any]:
    check_delivery(key, delivery_id)
    return delivery_json(get_dead(delivery_id), with_log=True)


@router.post("/{delivery_id}/replay", summary="Send it again now, with a fresh round of attempts")
def replay_one(delivery_id: str, key: Writer) -> dict[str, Any]:
    check_delivery(key, delivery_id)
    return delivery_json(replay(delivery_id), with_log=True)


@router.post("/{delivery_id}/purge", summary="Drop it from the queue (its record stays)")
def purge_one(delivery_id: str, key: Writer) -> dict[str, Any]:
    check_delivery(key, delivery_id)
    return delivery_json(purge(delivery_id))


@router.post("/replay", summary="Replay every dead delivery of a webhook, or all (since a time)")
def replay_bulk(body: Many, key: Writer) -> dict[str, Any]:
    _one_target(body, key)
    since = when(body.since, "since")
    if since is None:
        return {"replayed": replay_many(webhook_id=body.webhook_id, all=body.all, stack=key.stack)}
    return {"replayed": _replay_since(body.webhook_id, since, key.stack)}


@router.post("/purge", summary="Purge every dead delivery of a webhook, or all")
def purge_bulk(body: Many, key: Writer) -> dict[str, Any]:
    _one_target(body, key)
    if body.since is not None:
        raise ValidationError("since: purge takes webhook_id or all only.")
    return {"purged": purge_many(webhook_id=body.webhook_id, all=body.all, stack=key.stack)}


def _one_target(body: Many, key: ApiKey) -> None:
    """Exactly one of webhook_id and all, and a webhook_id that names something: a webhook (of the key's stack), or
    dead-lettered deliveries of one deleted since; raises ValidationError or NotFoundError (else a typo replays 0,
    silently)."""
    if (body.webhook_id is None) == (not body.all):
        raise ValidationError("body: give either webhook_id or all: true (exactly one of them).")
    if body.webhook_id is None:
        return
    try:
        found = registry.get_webhook(body.webhook_id)
        if key.stack is not None and found.stack != key.stack:
            raise NotFoundError(body.webhook_id)  # another stack's: as if there were none
    except NotFoundError:
        if not _has_dead(key, body.webhook_id):
            raise NotFoundError(f"webhook_id: no webhook {body.webhook_id[:40]!r}, nor dead-lettered deliveries "
                                "of one.") from None  # fmt: skip


def _has_dead(key: ApiKey, webhook_id: str | None) -> bool:
    """Whether the key's stack (every stack for a global key) has dead-lettered deliveries of the webhook."""
    return bool(list(list_dead(webhook_id=webhook_id, limit=1, stack=key.stack)))


def _replay_since(webhook_id: str | None, since: float, stack: str | None) -> int:
    """Replay those dead-lettered since a time, a page at a time (replayed ones leave the queue; the keyset holds)."""
    done, cursor = 0, None
    while True:
        page = list_dead(webhook_id=webhook_id, since=since, limit=_PAGE, cursor=cursor, stack=stack)
        for d in page:
            try:
                replay(d.id)
                done += 1
            except ValidationError:  # replayed meanwhile, or its payload was erased: not sent again
                continue
        cursor = page.next_cursor
        if cursor is None:
            return done
