"""The portal's one-time secret page (post/redirect/get, as the dashboard's hooks/api/ui/secret_page.py).

Its key is `PortalKeys.once` (hooks/portal/keys.py).

Adding an endpoint or rotating its secret keeps the new secret for the session that did it and redirects (303) to
GET /portal/endpoints/{id}/secret, which shows it in full once (read and deleted in one MULTI; only a navigation
uses it up). The portal lives in the product's iframe, so a frame's navigation uses it up too, when the portal itself
led there (Sec-Fetch-Site same-origin: the redirect after its own form); a page of another origin that frames the
secret's URL (and is refused by frame-ancestors) leaves it kept. A reload, another session, a URL or an access log
never has it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

from hooks.api.head import HEAD_MARK
from hooks.api.ui.secret_page import navigation
from hooks.models.webhook import Webhook
from hooks.portal.keys import PortalKeys
from hooks.portal.session import PortalSession
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

TTL_S = 600


def once_key(settings: Settings, session: PortalSession, webhook_id: str) -> str:
    """The Redis key of a secret kept for one session's next view."""
    return PortalKeys(settings).once(session.token_hash, webhook_id)


def show_once(session: PortalSession, webhook: Webhook, *, rotated: bool = False,
              grace_hours: float = 0) -> RedirectResponse:  # fmt: skip
    """Keep `webhook`'s new secret for `session`'s next view of its secret page, and redirect there (303)."""
    settings = get_settings()
    kept = {"secret": webhook.secret, "rotated": rotated, "grace_hours": grace_hours}
    get_redis(settings).set(once_key(settings, session, webhook.id), json.dumps(kept), ex=TTL_S)
    return RedirectResponse(f"/portal/endpoints/{webhook.id}/secret", status_code=303)


def _framed_by_the_portal(request: Request) -> bool:
    """A GET navigating a frame from one of the portal's own pages (not a frame put there by another origin)."""
    dest, site = request.headers.get("sec-fetch-dest"), request.headers.get("sec-fetch-site")
    head = request.scope.get(HEAD_MARK)
    return request.method == "GET" and not head and dest in ("iframe", "frame") and site == "same-origin"


def take(request: Request, session: PortalSession, webhook_id: str) -> dict[str, Any] | None:
    """The kept secret, taken (shown once), or None; a request that is not a navigation takes nothing."""
    if not (navigation(request) or _framed_by_the_portal(request)):
        return None
    settings = get_settings()
    with get_redis(settings).pipeline(transaction=True) as pipe:
        name = once_key(settings, session, webhook_id)
        pipe.get(name)
        pipe.delete(name)
        raw, _ = pipe.execute()
    return json.loads(raw) if raw else None
