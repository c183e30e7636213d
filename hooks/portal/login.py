"""Signing in with a link: GET /portal/login?token=... takes the link (once), starts a session bound to its stack,
sets the cookie and redirects (303) to /portal/, so the token leaves the address bar and the history. Signing out:
POST /portal/sign-out (the header's form: CSRF token, same origin) ends the session in Redis, clears the cookie and
redirects (303) to GET /portal/signed-out, which says so.

Only a navigation signs in (a page or an iframe loading the link; Sec-Fetch-Dest, when the browser sends it):
an <img> or a fetch pointing at a link does not use it up. A used, expired or unknown link gets a 410 page that
says to ask the product for a new one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hooks.api.head import HEAD_MARK
from hooks.portal import links
from hooks.portal.render import form_session, page, product_name
from hooks.portal.session import clear_cookie, end, set_cookie, start
from hooks.settings import get_settings

router = APIRouter()
NAVIGATIONS = (None, "document", "iframe", "frame")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, token: str = "") -> Response:
    """Sign in with a link's token; 303 to the endpoints page, or the 410 page."""
    settings = get_settings()
    if request.scope.get(HEAD_MARK) or request.headers.get("sec-fetch-dest") not in NAVIGATIONS:
        return page(request, "link_refused.html", None, 400, product=product_name(), used=False)
    record = links.consume(settings, token)
    if record is None:
        return page(request, "link_refused.html", None, 410, product=product_name(), used=True)
    ttl_s = int(record["session_ttl_s"])
    session_token = start(settings, record["stack"], record["user"], ttl_s, logo_url=record.get("logo_url", ""),
                          color=record.get("color", ""))  # fmt: skip
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
