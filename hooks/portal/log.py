"""The portal's delivery log: the stack's deliveries (filtered, paged), one delivery with its attempts and payload,
Send again and Replay, "send a test event" to an endpoint, and the chart of the stack's deliveries and failures.

Every route takes the stack from the session (`current`), never from the request, and reads through log_scope.py,
which answers the same 404 for an unknown id and another stack's. Forms are POSTs with the session's CSRF token
from the portal's own origin (render.form_session), answered by a redirect to a page (post/redirect/get) with a
fixed note (render.NOTES); the answer of a test send comes back through Redis, bound to the session (log_ping.py).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hooks.deliveries.dlq import replay, retry_now
from hooks.errors import ValidationError
from hooks.portal import log_ping
from hooks.portal.log_chart import stack_charts
from hooks.portal.log_scope import (
    STATUSES,
    attempts_shown,
    owned_delivery,
    owned_webhook,
    payload_text,
    stack_deliveries,
    stack_webhooks,
)
from hooks.portal.render import NOTES, back, form_session, page
from hooks.portal.session import PortalSession, current

router = APIRouter()
Session = Annotated[PortalSession, Depends(current)]
Csrf = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
PAGE = 25

NOTES.update({
    "retried": "Sending again now: the delivery gets a fresh round of attempts.",
    "replayed": "Replaying: the delivery left the dead-letter queue and is sent again now.",
    "not_replayed": "Not replayed: only a delivery in the dead-letter queue whose payload is still kept can be "
                    "replayed (Send again sends any other one).",
})  # fmt: skip


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries(request: Request, session: Session, endpoint: str = "", status: str = "",
               cursor: str = "") -> HTMLResponse:  # fmt: skip
    endpoints = stack_webhooks(session.stack)
    log = stack_deliveries(session.stack, endpoint=endpoint or None, status=status or None, limit=PAGE,
                           cursor=cursor or None)  # fmt: skip
    charted = [endpoint] if endpoint else [w.id for w in endpoints]
    return page(request, "log.html", session, log=log, endpoints=endpoints, statuses=STATUSES,
                names={w.id: w.name or w.id for w in endpoints}, charts=stack_charts(charted),
                filters={"endpoint": endpoint, "status": status})  # fmt: skip


@router.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery(request: Request, session: Session, delivery_id: str) -> HTMLResponse:
    found, webhook, event = owned_delivery(session.stack, delivery_id)
    return page(request, "delivery.html", session, delivery=found, webhook=webhook, attempts=attempts_shown(found),
                event_type=event.type if event else None, payload=payload_text(event))  # fmt: skip


@router.post("/deliveries/{delivery_id}/retry")
def retry(request: Request, delivery_id: str, csrf: Csrf = None) -> RedirectResponse:
    session = form_session(request, csrf)
    found, _, _ = owned_delivery(session.stack, delivery_id)
    retry_now(found.id)
    return back(f"/portal/deliveries/{found.id}", "retried")


@router.post("/deliveries/{delivery_id}/replay")
def replay_dead(request: Request, delivery_id: str, csrf: Csrf = None) -> RedirectResponse:
    session = form_session(request, csrf)
    found, _, _ = owned_delivery(session.stack, delivery_id)
    try:
        replay(found.id)
    except ValidationError:  # not dead (any more: replayed meanwhile), or its payload was erased
        return back(f"/portal/deliveries/{found.id}", "not_replayed")
    return back(f"/portal/deliveries/{found.id}", "replayed")


@router.get("/endpoints/{webhook_id}/test", response_class=HTMLResponse)
def test_form(request: Request, session: Session, webhook_id: str, type: str = "") -> HTMLResponse:
    webhook = owned_webhook(session.stack, webhook_id)
    types = log_ping.choices()
    picked = log_ping.chosen(type or None, types)
    return page(request, "log_test.html", session, webhook=webhook, types=types, picked=picked,
                data=log_ping.sent_data(picked) or log_ping.DEFAULT.example,
                answer=log_ping.take_answer(session, webhook.id))  # fmt: skip


@router.post("/endpoints/{webhook_id}/test")
def test_send(request: Request, webhook_id: str, csrf: Csrf = None, event_type: Text = "") -> RedirectResponse:
    session = form_session(request, csrf)
    webhook = owned_webhook(session.stack, webhook_id)
    picked = log_ping.chosen(event_type or None, log_ping.choices())
    log_ping.send(session, webhook, picked)
    return RedirectResponse(f"/portal/endpoints/{webhook.id}/test?type={quote(picked.name)}", status_code=303)
