"""`/v1/webhooks`: create, list, show, update, delete (hooks.registry.webhooks, the same rules and messages).

A key bound to a stack (hooks.api.scope) sees and makes webhooks of its stack only: `stack` left out is its
own, another is a 422; another stack's webhook answers 404 as an unknown id; a PATCH cannot move one away.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictStr

from hooks.api.auth import Reader, Writer
from hooks.api.scope import check_stack, check_webhook, own_webhook
from hooks.api.sealed_cursors import seal_cursor
from hooks.api.v1.common import Cursor, StrList, StrMap, limit_of, opened
from hooks.api.webhook_pages import page_webhooks
from hooks.errors import ValidationError
from hooks.models.credentials import OAuth2Input
from hooks.models.webhook import Auth, RetryOverrides, Webhook, generate_signing_key
from hooks.registry import webhooks as registry
from hooks.registry.health import state
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class StrictRetry(RetryOverrides):
    """The retry overrides, numbers as numbers (`"3"` is refused, not read as 3)."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class WebhookFields(BaseModel):
    """The fields a webhook has: their types here (FastAPI's validation and the OpenAPI schema), their rules in
    `create_webhook`/`update_webhook`, whose messages the errors carry. Only the fields given are passed on."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field("", description="Shown in listings (default: the URL without its query).")
    stack: StrictStr = Field("default", description="The stack whose events it receives.")
    branches: StrList = Field(["main"], description="Branches it receives (`*` for any).")
    headers: StrMap = Field({}, description="Custom headers sent with every request.")
    auth: Auth | None = Field(None, description='`{"type": "basic", "username", "password"}` or `{"type": '
                              '"bearer", "token"}`; null for none.')  # fmt: skip
    secret: StrictStr | None = Field(
        None, description="Signing secret `whsec_` + base64 of 24-64 bytes (default: made)."
    )
    concise: StrictBool = Field(False, description="Send the concise body (ids and summary).")
    ordered: StrictBool = Field(False, description="Send in publish order, one at a time; a failing delivery holds "
                                "the ones behind it until it succeeds or is dead-lettered.")  # fmt: skip
    enabled: StrictBool = True
    rate_limit_per_s: StrictFloat | None = Field(
        None,
        description="At most this many requests a second (0.01 to 10,000; a token bucket shared by every "
        "worker: deliveries over it wait, no attempt spent); null for no limit.",
    )
    retry_policy: Literal["auto", "manual"] = Field("auto", description="`manual`: no automatic retries.")
    filter: dict[str, Any] | None = Field(None, description='Payload filter, path -> condition, all must hold: '
                                          '`{"data.entry.locale": "en-us"}` (README "Payload filters"); null: '
                                          "every event.")  # fmt: skip
    retry: StrictRetry | None = Field(None, description="Overrides: base_s, factor, max_delay_s, jitter, max_attempts.")
    description: StrictStr = ""
    client_cert: StrictStr | None = Field(None, description="mTLS: the client certificate (PEM, its chain after it) "
                                          "presented to https endpoints; null removes it.")  # fmt: skip
    client_key: StrictStr | None = Field(None, description="mTLS: the certificate's private key (PEM); stored "
                                         "sealed under HOOKS_ENCRYPTION_KEY and never shown again.")  # fmt: skip
    client_key_password: StrictStr | None = Field(None, description="The passphrase of an encrypted client_key "
                                                  "(used once: the key is stored decrypted, then sealed).")  # fmt: skip
    oauth2: OAuth2Input | None = Field(None, description="OAuth2 client credentials: token_url, client_id, "
                                       "client_secret (sealed, never shown; left out on an update: unchanged), "
                                       "scope, audience, client_auth (`basic` or `body`); null removes them.")  # fmt: skip


class WebhookCreate(WebhookFields):
    """A new webhook: where to POST which events."""

    url: StrictStr = Field(description="Where to POST (https://...; checked by the SSRF guard).")
    events: StrList = Field(description="Event patterns: dotted segments, `*` one segment, `#` any.")
    ed25519: StrictBool = Field(False, description="Also sign with a new ed25519 key (Standard Webhooks v1a).")
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

    url: StrictStr | None = Field(None, description="Where to POST (checked by the SSRF guard).")
    events: StrList | None = Field(None, description="Event patterns (the whole list).")


def webhook_json(webhook: Webhook, *, show_secret: bool = False) -> dict[str, Any]:
    """A webhook as JSON, its secret and auth values masked unless asked for."""
    return webhook.public_dict(show_secret=show_secret)


@router.post("", status_code=201, summary="Register a webhook (its secret is shown once, here)")
def create(body: WebhookCreate, response: Response, key: Writer) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"url", "events", "ed25519"})
    if key.stack is not None:
        fields["stack"] = check_stack(key, fields.get("stack"))
    if body.ed25519:
        fields["signing_key"] = generate_signing_key()
    webhook = registry.create_webhook(body.url, body.events, **fields)
    response.headers["Location"] = f"/v1/webhooks/{webhook.id}"
    response.headers["Cache-Control"] = "no-store"  # the answer holds the secret: no cache may keep it
    return webhook_json(webhook, show_secret=True)


@router.get("", summary="List webhooks, oldest first, a page at a time")
def list_(key: Reader, stack: str | None = None, enabled: bool | None = None, limit: int = 50,
          cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    found, more = page_webhooks(get_redis(), stack=check_stack(key, stack), enabled=enabled, limit=limit_of(limit),
                                cursor=opened(key.stack, "webhooks", cursor))  # fmt: skip
    return {"items": [webhook_json(w) for w in found], "next_cursor": seal_cursor(key.stack, "webhooks", more)}


@router.get("/{webhook_id}", summary="One webhook, with its breaker's state")
def show(webhook_id: str, key: Reader) -> dict[str, Any]:
    webhook = own_webhook(key, webhook_id)
    return {**webhook_json(webhook), "health": state(get_redis(), get_settings(), webhook.id)}


@router.patch("/{webhook_id}", summary="Change some fields of a webhook")
def update(webhook_id: str, body: WebhookUpdate, key: Writer) -> dict[str, Any]:
    check_webhook(key, webhook_id)
    changes = body.model_dump(exclude_unset=True)
    if "stack" in changes:
        check_stack(key, changes["stack"])
    if not changes:
        raise ValidationError("body: nothing to change; give at least one field.")
    return webhook_json(registry.update_webhook(webhook_id, **changes))


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook")
def delete(webhook_id: str, key: Writer) -> Response:
    check_webhook(key, webhook_id)
    registry.delete_webhook(webhook_id)
    return Response(status_code=204)
