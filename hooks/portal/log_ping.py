""" "Send a test event" from the portal: the catalogue's example of a chosen type, sent to one of the stack's
endpoints through the API's test send (hooks/api/ping.py: a worker makes the request exactly as a delivery's
attempt, and answers on a reply key), and the answer shown once on the page the form leads back to.

| key                                     | type   | holds                                                   |
|-----------------------------------------|--------|---------------------------------------------------------|
| {p}:portal:test:{session hash}:{wh id}  | string | the last test answer of this session and endpoint, JSON |
|                                         |        | (TTL 60 s; read and deleted at once by the page)         |

The answer goes through Redis, bound to the session that sent it, rather than through the URL: a link cannot make
the page show an answer, and a reload does not show it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hooks.api.ping import NO_WORKER, TEST_EVENT, no_worker_detail, send_test
from hooks.catalogue import EventType, list_event_types
from hooks.errors import ValidationError
from hooks.models.test_event import TestResult
from hooks.models.webhook import Webhook
from hooks.portal.keys import PortalKeys
from hooks.portal.session import PortalSession
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

ANSWER_TTL_S = 60
DEFAULT = EventType(TEST_EVENT, "A test event (the catalogue has no types yet).", None,
                    {"test": True, "message": "a test event from the hooks API"})  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """What the page shows after a test: the type sent, the status or error, the time taken, the body's start."""

    event_type: str
    ok: bool
    status_code: int | None
    duration_ms: float
    response: str
    error: str | None


def answer_key(settings: Settings, session: PortalSession, webhook_id: str) -> str:
    """The Redis key of a session's last test answer for one endpoint."""
    return PortalKeys(settings).test(session.token_hash, webhook_id)


def choices() -> list[EventType]:
    """The types a test may send: the catalogue's, by name, or the built-in test event when it is empty."""
    return list_event_types() or [DEFAULT]


def chosen(name: str | None, types: list[EventType]) -> EventType:
    """The type of this name among `types` (the first one when no name is given); raises ValidationError."""
    if not name:
        return types[0]
    for t in types:
        if t.name == name:
            return t
    raise ValidationError(f"event_type: {name[:100]!r} is not in the catalogue.")


def sent_data(event_type: EventType) -> dict[str, Any] | None:
    """The `data` a test of this type carries: its example when it is a JSON object (as every event's data is),
    else the built-in test data."""
    return event_type.example if isinstance(event_type.example, dict) else None


def send(session: PortalSession, webhook: Webhook, event_type: EventType) -> Answer:
    """Have a worker send the test now and keep its answer for the session's next view of the page."""
    settings = get_settings()
    got: TestResult = send_test(webhook, settings, data=sent_data(event_type), event_type=event_type.name)
    error = f"{NO_WORKER}: {no_worker_detail(settings)}" if got.error == NO_WORKER else got.error
    answer = Answer(event_type.name, got.ok, got.status_code, got.duration_ms, got.response, error)
    get_redis(settings).set(answer_key(settings, session, webhook.id), json.dumps(answer.__dict__), ex=ANSWER_TTL_S)
    return answer


def take_answer(session: PortalSession, webhook_id: str) -> Answer | None:
    """The session's last test answer for this endpoint, once (it is deleted as it is read)."""
    settings = get_settings()
    raw = get_redis(settings).getdel(answer_key(settings, session, webhook_id))
    if raw is None:
        return None
    return Answer(**json.loads(raw))
