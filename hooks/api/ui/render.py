"""Rendering the dashboard's pages, and what a page needs before it renders: a session, a valid form token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.exc import DataError

from hooks.api.nul import data_refused
from hooks.api.problems import hooks_problem
from hooks.api.ui import flash
from hooks.api.ui.session import Session, load, same, same_origin
from hooks.api.v1.common import iso
from hooks.errors import HooksError
from hooks.settings import get_settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters["iso"] = lambda ts: iso(ts) or ""
templates.env.filters["pct"] = lambda v: "-" if v is None else f"{v * 100:.1f}%"
templates.env.filters["ms"] = lambda v: "-" if v is None else f"{v:,.1f} ms"
templates.env.filters["pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True)


def when_html(ts: float | str | None) -> Markup:
    """A time as `<time datetime="ISO">ISO UTC</time>` (app.js shows it in the browser's zone and how long ago)."""
    text = iso(ts) if isinstance(ts, (int, float)) else ts
    if not text:
        return Markup("-")
    return Markup('<time datetime="{0}">{1}</time>').format(text, escape(text.replace("T", " ").replace("Z", " UTC")))


def query(**params: Any) -> str:
    """A query string of the non-empty parameters, each value percent-encoded (`+01:00` stays a plus)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


templates.env.filters["when"] = when_html
templates.env.globals["query"] = query


class LoginRequired(Exception):
    """No session: the browser goes to the login page."""


class Refused(Exception):
    """A form the session may not send: a wrong CSRF token, or a write with a read-only key."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def session_of(request: Request) -> Session:
    """The request's session; raises LoginRequired."""
    found = load(get_settings(), request)
    if found is None:
        raise LoginRequired()
    flash.acting(request, found)
    return found


def form_session(request: Request, csrf: str | None, *, write: bool = True) -> Session:
    """The session of a form POST whose CSRF token matches; raises LoginRequired or Refused (403)."""
    session = session_of(request)
    if not same_origin(request):
        raise Refused(403, "This form must be sent from the dashboard's own page, not from another site's.")
    if not same(session.csrf, csrf):
        raise Refused(403, "The form's security token is missing or stale: reload the page and send it again.")
    if write and session.key.read_only:
        raise Refused(403, f"The API key {session.key.display} is read-only: log in with a read-write key to do this.")
    return session


def page(request: Request, name: str, session: Session | None, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the session, its CSRF token and the note of the last action (a flash, shown once)."""
    data = {"session": session, "csrf": session.csrf if session else "", "note": flash.take(request, session),
            **context}  # fmt: skip
    response = templates.TemplateResponse(request, name, data, status_code=status)
    flash.clear(request, response)
    return response


def back(url: str, note: str) -> RedirectResponse:
    """After a POST: see the page again (303), with a one-line note of what happened (flash.py: a signed cookie)."""
    response = RedirectResponse(url, status_code=303)
    flash.put(response, note)
    return response


def session_if_any(request: Request) -> Session | None:
    """The request's session for an error page's navigation, or None (also when Redis does not answer)."""
    try:
        return load(get_settings(), request)
    except redis.RedisError:
        return None


def not_found(request: Request) -> HTMLResponse:
    """The dashboard's 404 page for a path it does not have (with the navigation, not problem+json)."""
    return page(request, "error.html", session_if_any(request), 404, title="Not found",
                message=f"There is no page at {request.url.path[:200]}.")  # fmt: skip


def install(app: FastAPI) -> None:
    """Turn LoginRequired into a redirect to the login page, Refused, our errors and DataError under /ui/ into a page."""

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/ui/login", status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return page(request, "error.html", session_if_any(request), status=exc.status, message=str(exc))

    @app.exception_handler(HooksError)
    async def _hooks(request: Request, exc: HooksError) -> Response:
        problem = hooks_problem(exc)  # the API's answer; a page says the same to a person
        portal_page = getattr(request.app.state, "portal_error_page", None)  # hooks/portal/render.py install
        if portal_page is not None and request.url.path.startswith("/portal/"):
            return portal_page(request, problem.status_code, str(exc))  # type: ignore[no-any-return]
        if not request.url.path.startswith("/ui/"):
            return problem
        return page(request, "error.html", session_if_any(request), status=problem.status_code, message=str(exc),
                    title="Not found" if problem.status_code == 404 else None)  # fmt: skip

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        return await _hooks(request, data_refused(exc))  # a 422 problem, or the page saying it under /ui/
