"""`/v1/dlq`: the dead-letter queue: list, show, replay (one, by webhook, all, since) and purge (hooks.deliveries.dlq)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from hooks.api.auth import READ, WRITE
from hooks.api.v1.common import Cursor, delivery_json, limit_of, page_json, when
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


@router.get("", dependencies=READ, summary="Dead-lettered deliveries, newest first")
def list_(webhook_id: str | None = None,
          since: Annotated[str | None, Query(description="dead-lettered at or after (ISO 8601, Unix s, 2h)")] = None,
          limit: int = 50, cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    page = list_dead(webhook_id=webhook_id, since=when(since, "since"), limit=limit_of(limit), cursor=cursor)
    return page_json(page, delivery_json)


@router.get("/{delivery_id}", dependencies=READ, summary="A dead-lettered delivery and its attempts")
def show(delivery_id: str) -> dict[str, Any]:
    return delivery_json(get_dead(delivery_id), with_log=True)


@router.post("/{delivery_id}/replay", dependencies=WRITE, summary="Send it again now, with a fresh round of attempts")
def replay_one(delivery_id: str) -> dict[str, Any]:
    return delivery_json(replay(delivery_id), with_log=True)


@router.post("/{delivery_id}/purge", dependencies=WRITE, summary="Drop it from the queue (its record stays)")
def purge_one(delivery_id: str) -> dict[str, Any]:
    return delivery_json(purge(delivery_id))


@router.post("/replay", dependencies=WRITE, summary="Replay every dead delivery of a webhook, or all (since a time)")
def replay_bulk(body: Many) -> dict[str, Any]:
    _one_target(body)
    since = when(body.since, "since")
    if since is None:
        return {"replayed": replay_many(webhook_id=body.webhook_id, all=body.all)}
    return {"replayed": _replay_since(body.webhook_id, since)}


@router.post("/purge", dependencies=WRITE, summary="Purge every dead delivery of a webhook, or all")
def purge_bulk(body: Many) -> dict[str, Any]:
    _one_target(body)
    if body.since is not None:
        raise ValidationError("since: purge takes webhook_id or all only.")
    return {"purged": purge_many(webhook_id=body.webhook_id, all=body.all)}


def _one_target(body: Many) -> None:
    """Exactly one of webhook_id and all, and a webhook_id that names something: a webhook, or dead-lettered
    deliveries of one deleted since; raises ValidationError or NotFoundError (else a typo replays 0, silently)."""
    if (body.webhook_id is None) == (not body.all):
        raise ValidationError("body: give either webhook_id or all: true (exactly one of them).")
    if body.webhook_id is None:
        return
    try:
        registry.get_webhook(body.webhook_id)
    except NotFoundError:
        if not list(list_dead(webhook_id=body.webhook_id, limit=1)):
            raise NotFoundError(f"webhook_id: no webhook {body.webhook_id[:40]!r}, nor dead-lettered deliveries "
                                "of one.") from None  # fmt: skip


def _replay_since(webhook_id: str | None, since: float) -> int:
    """Replay those dead-lettered since a time, a page at a time (replayed ones leave the queue; the keyset holds)."""
    done, cursor = 0, None
    while True:
        page = list_dead(webhook_id=webhook_id, since=since, limit=_PAGE, cursor=cursor)
        for d in page:
            try:
                replay(d.id)
                done += 1
            except ValidationError:  # replayed meanwhile, or its payload was erased: not sent again
                continue
        cursor = page.next_cursor
        if cursor is None:
            return done
