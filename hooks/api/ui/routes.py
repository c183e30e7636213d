"""The dashboard's pages (GET): overview, webhooks with their health, a webhook's delivery log, one delivery's
attempts, the dead-letter queue, the publish form, and the login page. Forms post to ui/actions.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hooks.api.dlq_size import dlq_size
from hooks.api.stats import overview, webhook_stats
from hooks.api.ui import actions, edit, find, secret_page
from hooks.api.ui.charts import charts_for
from hooks.api.ui.login import login_form
from hooks.api.ui.names import names_of, webhooks_of
from hooks.api.ui.render import page, session_of
from hooks.api.v1.common import when
from hooks.api.v1.deliveries import deliveries_between
from hooks.api.webhook_pages import page_webhooks
from hooks.deliveries.dlq import list_dead
from hooks.deliveries.events import get_event
from hooks.deliveries.query import get_delivery
from hooks.errors import HooksError, NotFoundError
from hooks.metrics.keys import ALL
from hooks.registry import webhooks as registry
from hooks.registry.health import state
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(prefix="/ui", include_in_schema=False)
router.include_router(find.router)
router.include_router(edit.router)  # before actions: its POST /webhooks/{id}/{action} would take edit and delete
router.include_router(secret_page.router)  # before actions: its POST .../rotate-secret is not a generic action
router.include_router(actions.router)
PAGE = 50


@router.get("/login", response_class=HTMLResponse)
def login(request: Request) -> HTMLResponse:
    return login_form(request)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    session = session_of(request)
    settings = get_settings()
    data = overview(get_redis(settings), settings, dlq_size(settings))
    known = webhooks_of(data["busiest_webhooks"])  # a webhook deleted since it was counted is not shown
    busiest = webhook_stats(get_redis(settings), settings, [w for w in data["busiest_webhooks"] if w in known])
    return page(request, "overview.html", session, data=data, busiest=busiest, charts=charts_for(ALL),
                names={i: w.name for i, w in known.items()})  # fmt: skip


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks(request: Request, cursor: str | None = None, stack: str | None = None, sort: str = "",
             health: str = "") -> HTMLResponse:  # fmt: skip
    session = session_of(request)
    settings = get_settings()
    more, cut = None, False
    if sort or health:  # sorted by health: every webhook is read (up to find.MOST_SORTED)
        found, stats, cut = find.sorted_webhooks(stack or None, sort, health)
    else:
        found, more = page_webhooks(get_redis(settings), stack=stack or None, limit=PAGE, cursor=cursor)
        stats = webhook_stats(get_redis(settings), settings, [w.id for w in found])
    return page(request, "webhooks.html", session, webhooks=found, health=stats, next_cursor=more, stack=stack,
                sort=sort, only=health, sorts=find.SORTS, healths=find.HEALTH, cut=cut)  # fmt: skip


@router.get("/webhooks/{webhook_id}", response_class=HTMLResponse)
def webhook(request: Request, webhook_id: str, status: str | None = None, since: str | None = None,
            cursor: str | None = None) -> HTMLResponse:  # fmt: skip
    session = session_of(request)
    settings = get_settings()
    found = registry.get_webhook(webhook_id)
    stats = webhook_stats(get_redis(settings), settings, [found.id])[found.id]
    error, log = None, None
    try:
        log = deliveries_between(webhook_id=found.id, status=status or None, since=when(since, "since"), until=None,
                                 limit=PAGE, cursor=cursor or None)  # fmt: skip
    except HooksError as exc:  # a bad filter or the history down: the page still shows the webhook
        error = str(exc)
    return page(request, "webhook.html", session, webhook=found, stats=stats, log=log, error=error,
                health=state(get_redis(settings), settings, found.id), charts=charts_for(found.id),
                filters={"status": status or "", "since": since or ""})  # fmt: skip


@router.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery(request: Request, delivery_id: str) -> HTMLResponse:
    session = session_of(request)
    found = get_delivery(delivery_id)
    try:
        event_type = get_event(found.event_id, deliveries_limit=1).type
    except NotFoundError:  # its event's payload left the history (retention)
        event_type = None
    return page(request, "delivery.html", session, delivery=found, names=names_of([found.webhook_id]),
                webhook=webhooks_of([found.webhook_id]).get(found.webhook_id), event_type=event_type)  # fmt: skip


@router.get("/dlq", response_class=HTMLResponse)
def dlq(request: Request, webhook_id: str | None = None, cursor: str | None = None) -> HTMLResponse:
    session = session_of(request)
    dead = list_dead(webhook_id=webhook_id or None, limit=PAGE, cursor=cursor or None)
    return page(request, "dlq.html", session, dead=dead, webhook_id=webhook_id or "",
                names=names_of(d.webhook_id for d in dead))  # fmt: skip


@router.get("/dlq/{delivery_id}/purge", response_class=HTMLResponse)
def confirm_purge(request: Request, delivery_id: str) -> HTMLResponse:
    session = session_of(request)
    dead = get_delivery(delivery_id)
    return page(request, "purge.html", session, delivery=dead, names=names_of([dead.webhook_id]))


@router.get("/publish", response_class=HTMLResponse)
def publish(request: Request) -> HTMLResponse:
    return page(request, "publish.html", session_of(request))
