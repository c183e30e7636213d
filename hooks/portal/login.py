"""Signing in with a link: GET /portal/login?token=... takes the link (once), starts a session bound to its stack,
sets the cookie and redirects (303) to /portal/, so the token leaves the address bar and the history. Signing out:
POST /portal/sign-out (the header's form: CSRF token, same origin) ends the session in Redis, clears the cookie and
redirects (303) to GET /portal/signed-out, which says so.

Only a browser's navigation signs in at once (a page or an iframe loading the link: Sec-Fetch-Dest document,
iframe or frame). An <img> or a fetch pointing at a link (another Sec-Fetch-Dest), or a HEAD, is a 400 that
leaves the link usable. A GET without Sec-Fetch-* headers is what a mail or chat link scanner sends (SafeLinks,
a chat's link preview) as well as an old browser: it gets a small page whose "Continue" button POSTs the token
back, and only that POST uses the link up. The POST needs no session's CSRF token (there is no session yet, and
the token itself is the credential a forger would need); it must come from the portal's own origin like every
form (Sec-Fetch-Site / Origin). A used, expired or unknown link gets a 410 page that says to ask the product for
a new one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hooks.api.head import HEAD_MARK
from hooks.api.ui.session import same_origin
from hooks.portal import links
from hooks.portal.render import Refused, form_session, page, product_name
from hooks.portal.session import clear_cookie, end, set_cookie, start
from hooks.settings import get_settings

router = APIRouter()
NAVIGATIONS = ("document", "iframe", "frame")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, token: str = "") -> Response:
    """Sign in with a link's token: 303 to the endpoints page, the 410 page, or the "Continue" page for a request
    that does not say it is a browser's navigation."""
    dest = request.headers.get("sec-fetch-dest")
    if request.scope.get(HEAD_MARK) or (dest is not None and dest not in NAVIGATIONS):
        return page(request, "link_refused.html", None, 400, product=product_name(), used=False)
    if dest is None:
        return page(request, "link_continue.html", None, 200, product=product_name(), token=token[:100])
    return _sign_in(request, token)


@router.post("/login", response_class=HTMLResponse)
def login_form(request: Request, token: Annotated[str, Form()] = "") -> Response:
    """The "Continue" page's POST: sign in with its token (sent from the portal's own origin; raises Refused)."""
    if not same_origin(request):
        raise Refused("This form must be sent from the portal's own page, not from another site's.")
    return _sign_in(request, token)


def _sign_in(request: Request, token: str) -> Response:
    """Take the link and start its session: a 303 to /portal/ with the cookie, or the 410 page."""
    settings = get_settings()
    record = links.consume(settings, token)
    if record is None:
        return page(request, "link_refused.html", None, 410, product=product_name(), used=True)
    ttl_s = int(record["session_ttl_s"])
    session_token = start(settings, record["stack"], record["user"], ttl_s, logo_url=record.get("logo_url", ""),
                          color=record.get("color", ""), key_id=record.get("key_id", ""))  # fmt: skip
    response = RedirectResponse("/portal/", status_code=303)
    set_cookie(response, request, session_token, ttl_s)
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Annotated[str | None, Form()] = None) -> RedirectResponse:
    """End the session (Redis and cookie) and say so on the next page; raises Refused without the form's token."""
    end(get_settings(), form_session(request, csrf))
    response = RedirectResponse("/portal/signed-out", status_code=303)
    clear_cookie(response, request)
    return response


@router.get("/signed-out", response_class=HTMLResponse)
def signed_out(request: Request) -> HTMLResponse:
    """The page after signing out: the portal opens again from the product's app, with a new link."""
    return page(request, "goodbye.html", None, product=product_name())
