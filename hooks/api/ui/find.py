"""Finding things from the dashboard: the search box (a delivery, event or webhook id, or an event type within a
date range), an event's page (its payload and its deliveries), and the webhooks sorted and filtered by health.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hooks.api.stats import webhook_stats
from hooks.api.ui.names import names_of
from hooks.api.ui.render import page, session_of
from hooks.api.v1.common import when
from hooks.deliveries.events import get_event
from hooks.deliveries.query import get_delivery
from hooks.errors import HooksError, NotFoundError
from hooks.history import list_events as history_events
from hooks.history.connection import UNREACHABLE, get_engine, unavailable
from hooks.models.webhook import Webhook
from hooks.registry import webhooks as registry
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter()
PAGE = 50
MOST_SORTED = 1000  # webhooks read to sort or filter by health (one page of the registry otherwise)
SORTS = {"name": "name", "success": "success rate (worst first)", "breaker": "breaker (open first)"}
HEALTH = {"down": "breaker open or probing", "failing": "failed attempts in the last hour"}


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "", since: str = "", until: str = "", cursor: str = "") -> HTMLResponse:
    session = session_of(request)
    q = q.strip()[:200]
    found: dict[str, Any] = {"kind": None, "items": [], "next_cursor": None, "error": None}
    try:
        found.update(_find(q, since, until, cursor or None))
    except NotFoundError as exc:
        found["error"] = str(exc)
    except HooksError as exc:  # a bad date, the history down: said on the page, the form kept
        found["error"] = str(exc)
    return page(request, "search.html", session, search_q=q, since=since, until=until, found=found)


def _find(q: str, since: str, until: str, cursor: str | None) -> dict[str, Any]:
    """What the search box finds: the one thing an id names, or a page of events of a type."""
    if not q:
        return {}
    if q.startswith("msg_"):
        d = get_delivery(q, with_attempts=False)
        return {"kind": "delivery", "items": [d], "names": names_of([d.webhook_id])}
    if q.startswith("evt_"):
        return {"kind": "event", "items": [get_event(q)]}
    if q.startswith("wh_"):
        return {"kind": "webhook", "items": [registry.get_webhook(q)]}
    try:
        rows, more = history_events(get_engine(), type=q, since=when(since, "since"), until=when(until, "until"),
                                    limit=PAGE, cursor=cursor)  # fmt: skip
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    return {"kind": "events", "items": rows, "next_cursor": more}


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event(request: Request, event_id: str) -> HTMLResponse:
    session = session_of(request)
    found = get_event(event_id)
    ids = [*(d.webhook_id for d in found.deliveries), *found.filtered_out]
    return page(request, "event.html", session, event=found, names=names_of(ids))


def by_health(webhooks: list[Webhook], health: dict[str, dict[str, Any]], sort: str, only: str) -> list[Webhook]:
    """Webhooks filtered by health (`down`, `failing`) and sorted (`name`, `success`, `breaker`)."""

    def failing(w: Webhook) -> bool:
        rate = health[w.id]["windows"]["1h"]["attempt_success_rate"]
        return rate is not None and rate < 1

    kept = [w for w in webhooks if only != "down" or health[w.id]["breaker"]["state"] != "closed"]
    kept = [w for w in kept if only != "failing" or failing(w)]
    order = {"closed": 2, "half-open": 1, "open": 0}
    keys = {"name": lambda w: w.name.lower(),
            "success": lambda w: (_rate_or_one(health[w.id]), w.name.lower()),
            "breaker": lambda w: (order[health[w.id]["breaker"]["state"]], w.name.lower())}  # fmt: skip
    return sorted(kept, key=keys[sort]) if sort in keys else kept


def sorted_webhooks(stack: str | None, sort: str, only: str) -> tuple[list[Webhook], dict[str, Any], bool]:
    """Every webhook (up to MOST_SORTED) with its health, filtered and sorted; and whether some were left out."""
    settings = get_settings()
    every = registry.list_webhooks(stack=stack)
    cut = len(every) > MOST_SORTED
    every = every[:MOST_SORTED]
    health = webhook_stats(get_redis(settings), settings, [w.id for w in every])
    return by_health(every, health, sort, only), health, cut


def _rate_or_one(health: dict[str, Any]) -> float:
    """The last hour's attempt success rate, 1.0 when nothing was attempted (0.0, every attempt failed, stays 0.0)."""
    rate = health["windows"]["1h"]["attempt_success_rate"]
    return float(rate) if rate is not None else 1.0
