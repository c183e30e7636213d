"""`/v1/event-types`: the event catalogue (hooks.catalogue, the same rules and messages).

Any key reads it. Changing it takes a read-write key that is global: the catalogue is shared by every stack, so a
key bound to one stack may not change what the others publish and subscribe to.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from hooks.api.auth import READ
from hooks.api.scope import GLOBAL_WRITE
from hooks.api.v1.common import iso
from hooks.catalogue import EventType, add_event_type, get_event_type, list_event_types, remove_event_type
from hooks.errors import NotFoundError

router = APIRouter(prefix="/v1/event-types", tags=["event types"])


class EventTypeBody(BaseModel):
    """An event type of the catalogue: what its events mean, the JSON Schema of their `data`, an example `data`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"example": {
        "description": "An entry was published.", "strict": True,
        "schema": {"type": "object", "properties": {"entry": {"type": "object", "properties": {
            "title": {"type": "string"}}, "required": ["title"]}}, "required": ["entry"]},
        "example": {"entry": {"title": "Hello"}}}})  # fmt: skip
    description: StrictStr = Field("", description="What the event means (<= 2,000 characters).")
    json_schema: dict[str, Any] | None = Field(
        None, alias="schema", description="A JSON Schema of the events' `data` (2020-12 unless `$schema` says "
        "otherwise; references inside it only); with the example at most 64 KiB of JSON.")  # fmt: skip
    example: dict[str, Any] | None = Field(None, description="An example `data`; must pass the schema.")
    strict: StrictBool = Field(False, description="Refuse events whose `data` fails the schema (422 naming the path).")


def event_type_json(event_type: EventType) -> dict[str, Any]:
    """A catalogue entry as JSON, times in UTC ISO 8601."""
    data = event_type.to_dict()
    data["created_at"], data["updated_at"] = iso(event_type.created_at), iso(event_type.updated_at)
    return data


@router.get("", dependencies=READ, summary="The catalogue: every event type, by name")
def list_() -> dict[str, Any]:
    return {"items": [event_type_json(t) for t in list_event_types()], "next_cursor": None}


@router.get("/{name}", dependencies=READ, summary="One event type, with its schema and example")
def show(name: str) -> dict[str, Any]:
    return event_type_json(get_event_type(name))


@router.put("/{name}", dependencies=GLOBAL_WRITE, summary="Add an event type, or replace it (201 when new)")
def put(name: str, body: EventTypeBody, response: Response) -> dict[str, Any]:
    try:
        get_event_type(name)
    except NotFoundError:
        response.status_code = 201
        response.headers["Location"] = f"/v1/event-types/{name}"
    made = add_event_type(name, description=body.description, schema=body.json_schema, example=body.example,
                          strict=body.strict)  # fmt: skip
    return event_type_json(made)


@router.delete("/{name}", status_code=204, dependencies=GLOBAL_WRITE, summary="Remove an event type")
def delete(name: str) -> Response:
    remove_event_type(name)
    return Response(status_code=204)
