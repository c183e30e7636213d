"""The login form's token, which a page of another origin can neither plant nor replay.

Before a login there is no session to bind a CSRF token to, so the form carries the HMAC (server secret,
hooks/api/signing.py) of a random nonce that a short-lived cookie of its own keeps. A page on another port of
the same host can set that cookie (cookies ignore ports), but cannot make the HMAC of a value it chose: the
cookie tossing of issue 20 (`hooks_login_csrf=T` and `csrf=T`) no longer verifies. A nonce and token that the
attacker fetched from the login page itself would verify, which is why a login POST must also come from this
origin (`same_origin`: Sec-Fetch-Site and Origin, which the browser writes, not the page).
"""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import HTMLResponse

from hooks.api.signing import sign, verify
from hooks.api.ui.render import page
from hooks.api.ui.session import LOGIN_COOKIE, read_cookie, same_origin, set_cookie
from hooks.settings import get_settings

TTL_S = 600
PURPOSE = "login"


def login_form(request: Request, status: int = 200, message: str | None = None) -> HTMLResponse:
    """The login page with a new nonce (in its cookie) and the form's token for it."""
    nonce = secrets.token_urlsafe(32)
    response = page(request, "login.html", None, status, login_csrf=sign(get_settings(), PURPOSE, nonce),
                    message=message)  # fmt: skip
    set_cookie(response, request, LOGIN_COOKIE, nonce, TTL_S)
    return response


def refused(request: Request, csrf: str | None) -> HTMLResponse | None:
    """The login page again (403) when the POST comes from another origin or its token does not verify, else None."""
    if not same_origin(request):
        return login_form(request, 403, "A login must be sent from this dashboard's own login page.")
    nonce = read_cookie(request, LOGIN_COOKIE)
    if not nonce or len(nonce) > 100 or not verify(get_settings(), csrf, PURPOSE, nonce):
        return login_form(request, 403, "The form's security token is missing or stale: reload the page.")
    return None
