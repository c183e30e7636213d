"""Rendering the portal's pages (templates in hooks/portal/templates, extending base.html), and what a page needs
first: a session (`current`), and for a form POST a valid CSRF token sent from the portal's own origin.

`page(request, name, session, status, **context)` gives every template `session`, `csrf` (put it in every form
as `<input type="hidden" name="csrf" value="{{ csrf }}">`), `theme` and `note`. After a POST, `back(url, done)`
redirects (303) to `url?done=<code>`; the page shows the fixed sentence of that code from NOTES, so a link
cannot make the portal say anything else. `form_session(request, csrf)` is a POST's session or a 403 page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hooks.api.security import portal_csp
from hooks.api.ui.render import TEMPLATES as UI_TEMPLATES
from hooks.api.ui.render import templates as ui_templates
from hooks.api.ui.session import same, same_origin
from hooks.portal import theme
from hooks.portal.session import PortalLoginRequired, PortalSession, cookie_token, current, load
from hooks.settings import get_settings

# the portal's own templates first, then the dashboard's partials it shares (charts.html)
templates = Jinja2Templates(directory=[Path(__file__).resolve().parent / "templates", UI_TEMPLATES])
templates.env.filters.update(ui_templates.env.filters)  # when, iso, pct, ms, pretty: as on the dashboard
templates.env.globals.update(ui_templates.env.globals)

# The notes a redirect after a POST may ask a page to show (`?done=<code>`); modules add theirs at import.
NOTES: dict[str, str] = {
    "added": "Endpoint added.",
    "saved": "Endpoint saved.",
    "enabled": "Endpoint enabled: it receives events again.",
    "disabled": "Endpoint disabled: it receives no events until enabled.",
    "deleted": "Endpoint deleted.",
}


def product_name() -> str:
    """Who gives out the portal's links, as the refusal pages name it (HOOKS_PORTAL_PRODUCT_NAME)."""
    return get_settings().portal_product_name or "the app that sent you here"


class Refused(Exception):
    """A form the session may not send (a wrong CSRF token, another origin): a 403 page."""


def form_session(request: Request, csrf: str | None) -> PortalSession:
    """The session of a form POST whose CSRF token matches, sent from this origin; raises PortalLoginRequired or
    Refused."""
    session = current(request)
    if not same_origin(request):
        raise Refused("This form must be sent from the portal's own page, not from another site's.")
    if not same(session.csrf, csrf):
        raise Refused("The form's security token is missing or stale: reload the page and send it again.")
    return session


def page(request: Request, name: str, session: PortalSession | None, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a portal template with the session, its CSRF token, its theme and the note of `?done=`."""
    settings = get_settings()
    look = theme.of(settings, session.logo_url, session.color) if session else theme.of(settings)
    data = {"session": session, "csrf": session.csrf if session else "", "theme": look,
            "note": NOTES.get(request.query_params.get("done", "")), **context}  # fmt: skip
    response = templates.TemplateResponse(request, name, data, status_code=status)
    response.headers["Content-Security-Policy"] = portal_csp(settings, theme.logo_origin(look.logo_url))
    return response


def back(url: str, done: str) -> RedirectResponse:
    """After a POST: see `url` again (303), with the note of `done` (a key of NOTES)."""
    joiner = "&" if urlsplit(url).query else "?"
    return RedirectResponse(f"{url}{joiner}done={done}", status_code=303)


def session_if_any(request: Request) -> PortalSession | None:
    """The request's session for an error page's navigation and theme, or None."""
    try:
        return load(get_settings(), cookie_token(request))
    except Exception:  # Redis down: the error page shows without the navigation
        return None


def error_page(request: Request, status: int, message: str, title: str = "") -> HTMLResponse:
    """The portal's error page (404 for an unknown id, 422 for a bad value, 403 refused...)."""
    title = title or ("Not found" if status == 404 else "Not done")
    return page(request, "error.html", session_if_any(request), status, title=title, message=message)


def not_found(request: Request) -> HTMLResponse:
    """The portal's 404 page for a path it does not have (its own page, with the navigation when signed in, not
    the API's problem+json); hooks/api/app.py registers it last, under /portal/{path:path}."""
    return error_page(request, 404, f"There is no page at {request.url.path[:200]}.")


def install(app: FastAPI) -> None:
    """Turn PortalLoginRequired into the 401 page (no session: open a new link), Refused into a 403 page, and our
    errors under /portal/ into the portal's error page (the app's HooksError handler, hooks/api/ui/render.py, asks
    app.state.portal_error_page)."""
    app.state.portal_error_page = error_page

    @app.exception_handler(PortalLoginRequired)
    async def _login(request: Request, exc: PortalLoginRequired) -> Response:
        return page(request, "signed_out.html", None, 401, product=product_name())

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return error_page(request, 403, str(exc), "Refused")
