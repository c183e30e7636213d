"""The portal's endpoints pages: the stack's webhooks, adding one (event types from the catalogue), editing it.

Every page reads the stack from the session (`current`), never from the request; `owned` (endpoint_actions.py) turns an id of another
stack into the same 404 as an unknown id, so a customer learns nothing of other stacks. The library functions
(hooks.registry.webhooks) do the work, with `stack` forced to the session's. Enable, disable, delete, rotate and
the one-time secret page are in endpoint_actions.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hooks.errors import ValidationError
from hooks.portal import endpoint_actions
from hooks.portal.endpoint_actions import owned
from hooks.portal.forms import EndpointForm, blank_secrets, catalogue, fields_of, form_of
from hooks.portal.render import back, form_session, page
from hooks.portal.secret_once import show_once
from hooks.portal.session import PortalSession, current
from hooks.registry import health
from hooks.registry import webhooks as registry
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter()
router.include_router(endpoint_actions.router)
Session = Annotated[PortalSession, Depends(current)]


@router.get("/", response_class=HTMLResponse)
def endpoints(request: Request, session: Session) -> HTMLResponse:
    """The stack's endpoints with their status and health."""
    settings = get_settings()
    client = get_redis(settings)
    found = registry.list_webhooks(stack=session.stack)
    states = {w.id: health.state(client, settings, w.id)["state"] for w in found}
    return page(request, "endpoints.html", session, webhooks=found, states=states)


@router.get("/endpoints/new", response_class=HTMLResponse)
def new(request: Request, session: Session) -> HTMLResponse:
    """The form to add an endpoint, with the catalogue's event types to tick."""
    return page(request, "endpoint_form.html", session, webhook=None, form=EndpointForm(), types=catalogue(),
                message=None)  # fmt: skip


@router.post("/endpoints", response_model=None)
def create(request: Request, data: Annotated[EndpointForm, Form()]) -> Response:
    """Add an endpoint to the session's stack; its secret is shown once on the next page."""
    session = form_session(request, data.csrf)
    try:
        made = registry.create_webhook(stack=session.stack, **fields_of(data, None))
    except ValidationError as exc:
        return page(request, "endpoint_form.html", session, 422, webhook=None, form=blank_secrets(data),
                    types=catalogue(), message=f"Not added: {exc}")  # fmt: skip
    return show_once(session, made)


@router.get("/endpoints/{webhook_id}", response_class=HTMLResponse)
def detail(request: Request, session: Session, webhook_id: str) -> HTMLResponse:
    """One endpoint: its settings (secrets masked), health, the edit form and its actions."""
    found = owned(session, webhook_id)
    settings = get_settings()
    state = health.state(get_redis(settings), settings, found.id)
    return page(request, "endpoint.html", session, webhook=found, shown=found.public_dict(), state=state,
                form=form_of(found), types=catalogue(), message=None)  # fmt: skip


@router.post("/endpoints/{webhook_id}/edit", response_model=None)
def edit(request: Request, webhook_id: str, data: Annotated[EndpointForm, Form()]) -> Response:
    """Save the edit form; its message on the form with the values kept when a value is refused."""
    session = form_session(request, data.csrf)
    old = owned(session, webhook_id)
    try:
        registry.update_webhook(old.id, **fields_of(data, old))
    except ValidationError as exc:
        settings = get_settings()
        state = health.state(get_redis(settings), settings, old.id)
        return page(request, "endpoint.html", session, 422, webhook=old, shown=old.public_dict(), state=state,
                    form=blank_secrets(data), types=catalogue(), message=f"Not saved: {exc}")  # fmt: skip
    return back(f"/portal/endpoints/{old.id}", "saved")
