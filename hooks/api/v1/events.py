"""`/v1/events`: publish (with `Idempotency-Key`), list, show with its deliveries (hooks.producer, hooks.deliveries).

A key bound to a stack (hooks.api.scope) publishes to its stack (`stack` left out is its own, another is a 422),
lists its stack's events only and gets a 404 for another stack's, as for an unknown id.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from hooks.api.apikeys import ApiKey
from hooks.api.auth import Reader, Writer
from hooks.api.scope import check_stack
from hooks.api.v1.common import Cursor, StrList, delivery_json, iso, limit_of, opened, page_json
from hooks.deliveries.events import EventInfo, get_event, list_events
from hooks.errors import NotFoundError
from hooks.models.event import MAX_DEPTH
from hooks.producer.publish import publish_event

router = APIRouter(prefix="/v1/events", tags=["events"])


class Publish(BaseModel):
    """An event to publish: the arguments of `hooks.publish_event` (checked there, with its messages)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "event_type": "content_types.entries.publish", "data": {"uid": "blt01", "title": "Hello"}, "stack": "blog",
        "branch": "main", "channels": ["content_types.blog_post.entries.publish"]}})  # fmt: skip
    event_type: StrictStr = Field(description="Dotted lowercase segments, like content_types.entries.publish.")
    data: dict[str, Any] = Field(description=f"A JSON object (<= HOOKS_MAX_EVENT_BYTES serialized, <= {MAX_DEPTH} "
                                 "levels deep).")  # fmt: skip
    stack: StrictStr = "default"
    branch: StrictStr = "main"
    channels: StrList = Field([], description="More specific names it answers to.")
    summary: dict[str, Any] | None = Field(None, description="What concise webhooks get (default: the top-level "
                                           "scalars of data).")  # fmt: skip


def event_json(event: EventInfo) -> dict[str, Any]:
    """An event as JSON, times in UTC ISO 8601, with its deliveries when they were read."""
    data = event.to_dict()
    data["published_at"], data["erased_at"] = iso(event.published_at), iso(event.erased_at)
    data["deliveries"] = [delivery_json(d) for d in event.deliveries]
    return data


@router.post("", status_code=202, summary="Publish an event (durable in Redis when this answers)")
def publish(body: Publish, response: Response, key: Writer,
            idempotency_key: Annotated[str | None, Header(max_length=255)] = None) -> dict[str, Any]:  # fmt: skip
    named = body.stack if "stack" in body.model_fields_set else None
    stack = check_stack(key, named) or body.stack  # a bound key publishes to its stack only
    event_id = publish_event(body.event_type, body.data, stack=stack, branch=body.branch,
                             channels=body.channels, summary=body.summary,
                             idempotency_key=_scoped(key, idempotency_key))  # fmt: skip
    response.headers["Location"] = f"/v1/events/{event_id}"
    return {"id": event_id}


def _scoped(key: ApiKey, idempotency_key: str | None) -> str | None:
    """A bound key's idempotency keys live apart from every other stack's: the same key sent by two tenants makes
    two events, and never hands one tenant the other's event id (global keys keep theirs as sent)."""
    if key.stack is None or idempotency_key is None:
        return idempotency_key
    return f"stack:{key.stack}:{hashlib.sha256(idempotency_key.encode()).hexdigest()}"


@router.get("", summary="List events, newest first (in flight and finished), without payloads")
def list_(key: Reader, stack: str | None = None, limit: int = 50,
          cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    page = list_events(stack=check_stack(key, stack), limit=limit_of(limit), cursor=opened(key.stack, "events", cursor))
    return page_json(page, lambda e: {k: v for k, v in event_json(e).items() if k != "deliveries"}, stack=key.stack,
                     listing="events")  # fmt: skip


@router.get("/{event_id}", summary="An event, its payload and (up to 100 of) its deliveries",
            response_class=JSONResponse)  # fmt: skip
def show(event_id: str, key: Reader) -> JSONResponse:
    event = get_event(event_id)
    check_stack(key, event.stack, not_found=NotFoundError(f"event {event_id} does not exist."))
    # straight to json.dumps: FastAPI's encoder recurses a few frames a level, and an event published before
    # MAX_DEPTH may nest hundreds of levels
    return JSONResponse(event_json(event))
