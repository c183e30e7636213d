"""`owned` (an id of the session's stack, else the same 404 as an unknown id), and the portal's actions on one
endpoint: enable, disable, delete and rotate its secret (each a CSRF-checked form POST; delete and rotate only
once their box is ticked), and the one-time secret page."""

from __future__ import annotations

import contextlib
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hooks.errors import NotFoundError, ValidationError
from hooks.models.webhook import Webhook
from hooks.portal import secret_once
from hooks.portal.render import NOTES, back, error_page, form_session, page
from hooks.portal.session import PortalSession, current
from hooks.registry import webhooks as registry

router = APIRouter()
Text = Annotated[str, Form()]
MAX_GRACE_HOURS = 720
NOTES.update({
    "not-deleted": "Not deleted: tick the box to confirm.",
    "not-rotated": "Not rotated: tick the box to confirm the rotation.",
})  # fmt: skip


def owned(session: PortalSession, webhook_id: str) -> Webhook:
    """The session's stack's webhook with this id; raises NotFoundError alike for unknown ids and other stacks'."""
    try:
        found = registry.get_webhook(webhook_id)
    except NotFoundError:
        found = None
    if found is None or found.stack != session.stack:
        raise NotFoundError(f"endpoint {webhook_id[:40]} does not exist.")
    return found


@router.post("/endpoints/{webhook_id}/enable")
def enable(request: Request, webhook_id: str, csrf: Text = "") -> RedirectResponse:
    """Enable the endpoint (its breaker is reset)."""
    found = owned(form_session(request, csrf), webhook_id)
    registry.enable_webhook(found.id)
    return back(f"/portal/endpoints/{found.id}", "enabled")


@router.post("/endpoints/{webhook_id}/disable")
def disable(request: Request, webhook_id: str, csrf: Text = "") -> RedirectResponse:
    """Disable the endpoint: it gets nothing until enabled."""
    found = owned(form_session(request, csrf), webhook_id)
    registry.disable_webhook(found.id, "disabled in the portal")
    return back(f"/portal/endpoints/{found.id}", "disabled")


@router.post("/endpoints/{webhook_id}/delete")
def delete(request: Request, webhook_id: str, csrf: Text = "", confirm: Text = "") -> RedirectResponse:
    """Delete the endpoint, once confirmed."""
    found = owned(form_session(request, csrf), webhook_id)
    if confirm != "yes":
        return back(f"/portal/endpoints/{found.id}", "not-deleted")
    with contextlib.suppress(NotFoundError):  # deleted meanwhile (another tab): what was asked is done
        registry.delete_webhook(found.id)
    return back("/portal/", "deleted")


@router.post("/endpoints/{webhook_id}/rotate-secret", response_model=None)
def rotate(request: Request, webhook_id: str, csrf: Text = "", confirm: Text = "",
           grace_hours: Text = "24") -> Response:  # fmt: skip
    """Rotate the secret, once confirmed (the old one signs too for the grace period); show the new one once."""
    session = form_session(request, csrf)
    found = owned(session, webhook_id)
    if confirm != "yes":
        return back(f"/portal/endpoints/{found.id}", "not-rotated")
    try:
        hours = float(grace_hours)
    except ValueError:
        hours = math.nan
    if not (math.isfinite(hours) and 0 <= hours <= MAX_GRACE_HOURS):
        return error_page(request, 422, f"grace_hours: must be a number of hours from 0 to {MAX_GRACE_HOURS}.")
    try:
        rotated = registry.rotate_secret(found.id, grace_s=hours * 3600)
    except ValidationError as exc:
        return error_page(request, 422, f"Not rotated: {exc}")
    return secret_once.show_once(session, rotated, rotated=True, grace_hours=hours)


@router.get("/endpoints/{webhook_id}/secret", response_class=HTMLResponse)
def secret(request: Request, webhook_id: str, session: Annotated[PortalSession, Depends(current)]) -> HTMLResponse:
    """The new secret, the first time this session asks for it; else a page saying it was shown already."""
    found = owned(session, webhook_id)
    return page(request, "secret.html", session, webhook=found, shown=secret_once.take(request, session, found.id))
