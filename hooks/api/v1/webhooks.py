"""`/v1/webhooks`: create, list, show, update, delete (hooks.registry.webhooks, the same rules and messages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from hooks.api.auth import READ, WRITE
from hooks.api.v1.common import Cursor, limit_of
from hooks.api.webhook_pages import page_webhooks
from hooks.errors import ValidationError
from hooks.models.webhook import Webhook, generate_signing_key
from hooks.registry import webhooks as registry
from hooks.registry.health import state
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def field(schema: JsonDict, description: str = "", default: Any = None) -> Any:
    """A request field typed for the docs only: its value is checked by the function it is handed to, so an
    error carries that function's own one-sentence message (hooks.models.webhook, hooks.models.event)."""
    return Field(default, description=description, json_schema_extra=schema)


STR: JsonDict = {"type": "string"}
BOOL: JsonDict = {"type": "boolean"}
STRS: JsonDict = {"type": "array", "items": {"type": "string"}}
OBJECT: JsonDict = {"type": "object"}


class WebhookFields(BaseModel):
    """The fields a webhook has (checked by `create_webhook`/`update_webhook`, whose messages the errors carry)."""

    model_config = ConfigDict(extra="forbid")
    name: Any = field(STR, "Shown in listings (default: the URL without its query).")
    stack: Any = field(STR, "The stack whose events it receives (default `default`).")
    branches: Any = field(STRS, "Branches it receives (`*` for any; default `main`).")
    headers: Any = field({**OBJECT, "additionalProperties": STR}, "Custom headers sent with every request.")
    auth: Any = field(OBJECT, '`{"type": "basic", "username", "password"}` or `{"type": "bearer", "token"}`; '
                      "null for none.")  # fmt: skip
    secret: Any = field(STR, "Signing secret `whsec_` + base64 of 24-64 bytes (default: made).")
    concise: Any = field(BOOL, "Send the concise body (ids and summary).")
    ordered: Any = field(BOOL, "Send in publish order, one at a time; a failing delivery holds the ones behind it "
                         "until it succeeds or is dead-lettered.")  # fmt: skip
    enabled: Any = field(BOOL)
    retry_policy: Any = field({"type": "string", "enum": ["auto", "manual"]}, "`manual`: no automatic retries.")
    retry: Any = field(OBJECT, "Overrides: base_s, factor, max_delay_s, jitter, max_attempts.")
    description: Any = field(STR)


class WebhookCreate(WebhookFields):
    """A new webhook: where to POST which events."""

    url: Any = Field(description="Where to POST (https://...; checked by the SSRF guard).", json_schema_extra=STR)
    events: Any = Field(description="Event patterns: dotted segments, `*` one segment, `#` any.",
                        json_schema_extra=STRS)  # fmt: skip
    ed25519: bool = Field(False, description="Also sign with a new ed25519 key (Standard Webhooks v1a).")
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "url": "https://example.com/hooks",
                "events": ["content_types.#"],
                "stack": "blog",
                "branches": ["main"],
            }
        },
    )


class WebhookUpdate(WebhookFields):
    """Changes to a webhook: only the fields given change (a list replaces the whole list; `auth: null` removes it)."""

    url: Any = field(STR)
    events: Any = field(STRS)


def webhook_json(webhook: Webhook, *, show_secret: bool = False) -> dict[str, Any]:
    """A webhook as JSON, its secret and auth values masked unless asked for."""
    return webhook.public_dict(show_secret=show_secret)


@router.post("", status_code=201, dependencies=WRITE, summary="Register a webhook (its secret is shown once, here)")
def create(body: WebhookCreate, response: Response) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"url", "events", "ed25519"})
    if body.ed25519:
        fields["signing_key"] = generate_signing_key()
    webhook = registry.create_webhook(body.url, body.events, **fields)
    response.headers["Location"] = f"/v1/webhooks/{webhook.id}"
    return webhook_json(webhook, show_secret=True)


@router.get("", dependencies=READ, summary="List webhooks, oldest first, a page at a time")
def list_(stack: str | None = None, enabled: bool | None = None, limit: int = 50,
          cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    found, more = page_webhooks(get_redis(), stack=stack, enabled=enabled, limit=limit_of(limit), cursor=cursor)
    return {"items": [webhook_json(w) for w in found], "next_cursor": more}


@router.get("/{webhook_id}", dependencies=READ, summary="One webhook, with its breaker's state")
def show(webhook_id: str) -> dict[str, Any]:
    webhook = registry.get_webhook(webhook_id)
    return {**webhook_json(webhook), "health": state(get_redis(), get_settings(), webhook.id)}


@router.patch("/{webhook_id}", dependencies=WRITE, summary="Change some fields of a webhook")
def update(webhook_id: str, body: WebhookUpdate) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationError("body: nothing to change; give at least one field.")
    return webhook_json(registry.update_webhook(webhook_id, **changes))


@router.delete("/{webhook_id}", status_code=204, dependencies=WRITE, summary="Delete a webhook")
def delete(webhook_id: str) -> Response:
    registry.delete_webhook(webhook_id)
    return Response(status_code=204)
