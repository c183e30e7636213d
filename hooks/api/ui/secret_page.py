"""The one-time secret page, and rotating a webhook's secret from the dashboard.

Adding a webhook or rotating its secret is a POST that keeps the new secret for the session that did it (Redis,
`{p}:api:once:{session}:{webhook}`, 10 min, read once) and redirects (303) to GET /ui/webhooks/{id}/secret,
which shows it in full once, with `Cache-Control: no-store` (hooks/api/security.py). Only a navigation uses it
up (`navigation`: GET, not HEAD, Sec-Fetch-Dest `document` when sent): a same-site `<img src=…/secret>` or a
HEAD gets the page without the secret and leaves it kept. A reload or Back is a GET
that finds nothing kept and says the secret was shown already and how to rotate it: it never posts the form
again (no second webhook), never shows the secret again, and no other session, no URL, no access log has it.
"""

from __future__ import annotations

import json
import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hooks.api.head import HEAD_MARK
from hooks.api.keys import ApiKeys
from hooks.api.ui.render import back, form_session, page, session_of
from hooks.api.ui.session import Session
from hooks.errors import ValidationError
from hooks.models.webhook import Webhook
from hooks.registry import webhooks as registry
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter()
TTL_S = 600
Text = Annotated[str, Form()]


def show_once(session: Session, webhook: Webhook, *, rotated: bool = False, grace_hours: float = 0) -> RedirectResponse:
    """Keep `webhook`'s new secret for `session`'s next GET of its secret page, and redirect there (303)."""
    settings = get_settings()
    kept = {"secret": webhook.secret, "rotated": rotated, "grace_hours": grace_hours}
    get_redis(settings).set(ApiKeys(settings).once(session.token_hash, webhook.id), json.dumps(kept), ex=TTL_S)
    return RedirectResponse(f"/ui/webhooks/{webhook.id}/secret", status_code=303)


def navigation(request: Request) -> bool:
    """Whether the request is the browser showing the page: a GET (not a HEAD made one by HeadAsGet) whose
    Sec-Fetch-Dest, when the browser sends it, is `document` (not an <img>, <script>, <iframe> or fetch)."""
    dest = request.headers.get("sec-fetch-dest")
    return request.method == "GET" and not request.scope.get(HEAD_MARK) and dest in (None, "document")


@router.get("/webhooks/{webhook_id}/secret", response_class=HTMLResponse)
def secret(request: Request, webhook_id: str) -> HTMLResponse:
    """The new secret, the first time this session asks for it; else a page saying it was shown already."""
    session = session_of(request)
    settings = get_settings()
    webhook = registry.get_webhook(webhook_id)
    if not navigation(request):  # an <img>, a fetch or a HEAD must not use it up: the page without the secret
        return page(request, "secret.html", session, webhook=webhook, shown=None)
    with get_redis(settings).pipeline(transaction=True) as pipe:  # read once: GET and DEL in one MULTI
        name = ApiKeys(settings).once(session.token_hash, webhook.id)
        pipe.get(name)
        pipe.delete(name)
        raw, _ = pipe.execute()
    return page(request, "secret.html", session, webhook=webhook, shown=json.loads(raw) if raw else None)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=None)
def rotate(request: Request, webhook_id: str, grace_hours: Text = "24", confirm: Text = "",
           csrf: Annotated[str | None, Form()] = None) -> RedirectResponse:  # fmt: skip
    """Rotate the secret (the old one signs too for the grace period), once confirmed; show the new one once."""
    session = form_session(request, csrf)
    here = f"/ui/webhooks/{webhook_id}"
    if confirm != "yes":
        return back(here, "not rotated: tick “I understand” to confirm the rotation.")
    try:
        hours = float(grace_hours)
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours):
        return back(here, "not rotated: grace_hours: must be a number of hours (0 to 720).")
    try:
        rotated = registry.rotate_secret(webhook_id, grace_s=hours * 3600)
    except ValidationError as exc:
        return back(here, f"not rotated: {exc}")
    return show_once(session, rotated, rotated=True, grace_hours=hours)
