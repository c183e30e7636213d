"""The app: the /v1 routers, /metrics, the dashboard at /ui/, problem+json errors, bounded bodies."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from hooks.api import docs, metrics, problems
from hooks.api.head import HeadAsGet
from hooks.api.limits import BodyLimit
from hooks.api.nul import refuse_nul
from hooks.api.security import SecurityHeaders
from hooks.api.ui import render
from hooks.api.ui import routes as ui
from hooks.api.v1 import deliveries, dlq, event_types, events, stats, webhook_actions, webhooks
from hooks.portal import api as portal_api
from hooks.portal import render as portal_render
from hooks.portal import routes as portal
from hooks.settings import Settings, get_settings

HERE = Path(__file__).resolve().parent
DESCRIPTION = """Operate the webhook delivery system over HTTP: webhooks, events, deliveries, the dead-letter
queue and per-webhook stats. Every route under `/v1` and `/metrics` takes `Authorization: Bearer <API key>`
(`hooks api-key create --name NAME [--read-only] [--stack S]`); a read-only key may only read, and a key bound to a
stack sees and changes that stack only (another stack's ids answer 404, as unknown ones; /metrics answers 403). Errors are RFC 9457
`application/problem+json` whose `detail` is one sentence naming the field (`field`). Listings return
`{"items": [...], "next_cursor": ...}`: pass `cursor` for the next page (`limit` up to HOOKS_API_MAX_PAGE_SIZE)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app; the settings are read when a request needs them (get_settings), `settings` only bounds bodies."""
    s = settings or get_settings()
    app = FastAPI(title="hooks", version="0.1.0", description=DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", dependencies=[Depends(refuse_nul)])  # fmt: skip
    problems.install(app)
    docs.install(app)
    render.install(app)
    portal_render.install(app)
    for module in (webhooks, webhook_actions, events, event_types, deliveries, dlq, stats, metrics):
        app.include_router(module.router)
    app.include_router(portal_api.router)
    app.include_router(ui.router)
    app.include_router(portal.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/portal/static", StaticFiles(directory=portal.STATIC), name="portal-static")
    # last: any other /ui/ or /portal/ path is the dashboard's or the portal's own 404 page, with its navigation
    app.add_api_route("/ui/{path:path}", render.not_found, methods=["GET", "POST"], include_in_schema=False)
    app.add_api_route("/portal/{path:path}", portal_render.not_found, methods=["GET", "POST"], include_in_schema=False)
    app.add_middleware(BodyLimit, max_bytes=s.api_max_body_bytes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)  # outermost: the 413 of BodyLimit and a 500 carry the headers too

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
