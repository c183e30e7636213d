"""`/v1/webhooks/{id}/...`: enable, disable, rotate the secret, send a test event, its stats.

Each checks the webhook against the key's stack first (hooks.api.scope): another stack's is a 404, unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictStr

from hooks.api.auth import Reader, Writer
from hooks.api.ping import NO_WORKER, TEST_EVENT, no_worker_detail, send_test
from hooks.api.problems import ProblemResponse, problem
from hooks.api.scope import check_webhook, own_webhook
from hooks.api.stats import webhook_stats
from hooks.api.v1.webhooks import webhook_json
from hooks.models.event import MAX_DEPTH, check_depth
from hooks.models.rules import check_event_type
from hooks.registry import webhooks as registry
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(prefix="/v1/webhooks/{webhook_id}", tags=["webhooks"])


class Disable(BaseModel):
    """Why a webhook is disabled (shown with it)."""

    model_config = ConfigDict(extra="forbid")
    reason: StrictStr = Field("disabled by an operator", max_length=500)


class Rotate(BaseModel):
    """How long the old secret keeps signing beside the new one."""

    model_config = ConfigDict(extra="forbid")
    grace_s: StrictFloat = Field(86400, description="0 to 30 days; requests carry both signatures meanwhile.")
    secret: StrictStr | None = Field(None, description="The new secret (default: made).")


class TestEvent(BaseModel):
    """The test event to send (both optional)."""

    model_config = ConfigDict(extra="forbid")
    event_type: StrictStr = TEST_EVENT
    data: dict[str, Any] | None = Field(None, description=f"A JSON object, <= {MAX_DEPTH} levels deep.")


@router.post("/enable", summary="Enable a webhook and reset its breaker")
def enable(webhook_id: str, key: Writer) -> dict[str, Any]:
    check_webhook(key, webhook_id)
    return webhook_json(registry.enable_webhook(webhook_id))


@router.post("/disable", summary="Stop sending to a webhook")
def disable(webhook_id: str, key: Writer, body: Disable | None = None) -> dict[str, Any]:
    check_webhook(key, webhook_id)
    return webhook_json(registry.disable_webhook(webhook_id, (body or Disable()).reason))


@router.post("/rotate-secret", summary="A new signing secret (shown once, here)")
def rotate(webhook_id: str, response: Response, key: Writer, body: Rotate | None = None) -> dict[str, Any]:
    check_webhook(key, webhook_id)
    body = body or Rotate()
    response.headers["Cache-Control"] = "no-store"  # the answer holds the new secret: no cache may keep it
    return webhook_json(registry.rotate_secret(webhook_id, grace_s=body.grace_s, new_secret=body.secret),
                        show_secret=True)  # fmt: skip


@router.post("/test", response_model=None,
             summary="A worker POSTs a signed test event to the webhook now, as a delivery; returns the attempt "
             "(503 `no_worker` when no worker answers in time)")  # fmt: skip
def test(webhook_id: str, key: Writer, body: TestEvent | None = None) -> dict[str, Any] | ProblemResponse:
    body = body or TestEvent()
    check_event_type(body.event_type)
    if body.data is not None:
        check_depth(body.data, "data")
    webhook = own_webhook(key, webhook_id)
    settings = get_settings()
    got = send_test(webhook, settings, data=body.data, event_type=body.event_type)
    if got.error == NO_WORKER:
        return problem(503, f"{NO_WORKER}: {no_worker_detail(settings)}", error=NO_WORKER)
    return got.to_dict()


@router.get("/stats", summary="Deliveries, success rate and latency over 1 h and 24 h; breaker; "
            "backlog")  # fmt: skip
def stats(webhook_id: str, key: Reader) -> dict[str, Any]:
    webhook = own_webhook(key, webhook_id)
    return webhook_stats(get_redis(), get_settings(), [webhook.id])[webhook.id]
