"""What one attempt leaves behind: its log entry and the delivery's new state, written by the next take script.

`record` turns an attempt into a `Record`; `finish_without_attempt` ends a delivery that cannot be attempted.
The drain passes the records to its next take call (workers/drain/take.lua settles them), then `after_dead`
tells the operators about each delivery that was dead-lettered.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis

from hooks.models.delivery import Delivery
from hooks.models.webhook import Webhook, shown_headers
from hooks.settings import Settings
from workers.attempt.attempt import Attempt
from workers.breaker import breaker
from workers.drain.notify import notify_dead_lettered

log = logging.getLogger(__name__)

_REDACTED = "[redacted]"
MAX_RESPONSE_HEADERS = 20  # kept per attempt, in the order received
MAX_NAME_CHARS = 100
MAX_VALUE_CHARS = 200
_LINES_READ = 64  # header lines looked at: enough for 20 headers among junk, and a 64 KB head costs no more
# Set-Cookie, Authorization, WWW-Authenticate, Proxy-Authenticate and their kind: values hidden by name
_SECRET_NAME = re.compile("token|secret|key|cookie|auth|passw|session", re.IGNORECASE)


@dataclass
class Record:
    """What one delivery leaves after a drain handled it, applied by the drain's next take script.

    `fields` go to the delivery's hash; `retry_due` puts it on the retry schedule; `finishes` says it is
    delivered, dead-lettered or failed (its hash then expires, and its event's count of open deliveries drops);
    `history` is the delivery's new state, with the attempt, for the archiver. An empty record only ends the lease.
    """

    delivery_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    retry_due: float | None = None
    finishes: bool = False
    history: dict[str, Any] | None = None

    def args(self) -> list[Any]:
        """The record as the take script reads it: id, due, finishes, number of fields, field/value..."""
        flat = [x for kv in self.fields.items() for x in kv]
        due = "" if self.retry_due is None else self.retry_due
        return [self.delivery_id, due, int(self.finishes), len(self.fields), *flat]


def record(settings: Settings, delivery: Delivery, webhook: Webhook, done: Attempt) -> Record:
    """The attempt's log entry and the delivery's new state (delivered, retry scheduled, or dead-lettered)."""
    result, decision = done.result, done.decision
    now = time.time()
    entry = {
        "delivery_id": delivery.id,
        "event_id": delivery.event_id,
        "webhook_id": webhook.id,
        "attempt": delivery.attempts + 1,
        "round": delivery.replays,
        "replay": delivery.replays > 0,
        "started_at": done.started_at,
        "duration_ms": result.duration_ms,
        "status_code": result.status,
        "error": result.error,
        "address": result.address,
        "response": result.body[: settings.logged_response_bytes].decode("utf-8", "replace"),
        "request_headers": shown_headers(done.headers),  # auth, signatures and custom values hidden
        "response_headers": response_headers(result.head),
        "outcome": decision.outcome,
        "reason": decision.reason,
        "next_delay_s": round(decision.delay_s, 3) if decision.outcome == "retry" else None,
    }
    fields: dict[str, Any] = {
        "attempts": delivery.attempts + 1,
        "round_attempts": delivery.round_attempts + decision.spends,  # a proxy_error spends none of max_attempts
        "updated_at": now,
        "last_status": result.status or "",
        "last_error": result.error or "",
        "last_attempt": orjson.dumps(entry),  # readable until the archiver has it
    }
    out = Record(delivery.id, fields, finishes=decision.outcome != "retry")
    if decision.outcome == "delivered":
        fields.update(status="delivered", next_attempt_at="", reason="")
    elif decision.outcome == "retry":
        out.retry_due = now + decision.delay_s
        fields.update(status="pending", next_attempt_at=out.retry_due)
    else:
        fields.update(status="failed", next_attempt_at="", reason=decision.reason or "", dead_lettered_at=now)
    out.history = history_record(delivery, fields, webhook.stack, entry)
    return out


def finish_without_attempt(delivery: Delivery, stack: str, outcome: str, reason: str) -> Record:
    """The end of a delivery that cannot be attempted: `failed`, or `dead` (dead-lettered)."""
    now = time.time()
    fields: dict[str, Any] = {"status": "failed", "reason": reason, "updated_at": now, "next_attempt_at": ""}
    if outcome == "dead":
        fields["dead_lettered_at"] = now
    log.info("deliver: %s %s without an attempt (%s)", delivery.id, outcome, reason)
    return Record(delivery.id, fields, finishes=True, history=history_record(delivery, fields, stack, None))


def history_record(
    delivery: Delivery, fields: dict[str, Any], stack: str, attempt: dict[str, Any] | None
) -> dict[str, Any]:
    """The delivery as the history keeps it after this step (fields over its stored state), with the attempt."""
    state = {**delivery.to_dict(), **fields}
    state.pop("attempt_log", None)
    state.pop("last_attempt", None)
    dead_at = state.get("dead_lettered_at") or None
    return {
        **{k: (v if v != "" else None) for k, v in state.items()},
        "stack": stack,
        "dead_lettered_at": dead_at,
        "in_dlq": state["status"] == "failed" and dead_at is not None,
        "attempt": attempt,
    }


def after_dead(client: redis.Redis, settings: Settings, delivery: Delivery, webhook: Webhook, reason: str) -> None:
    """Log a dead-lettered delivery, disable the webhook on 410 Gone, and tell the operators."""
    log.warning("deliver: %s dead-lettered (%s) after %d attempts", delivery.id, reason, delivery.attempts + 1)
    if reason == "gone":
        breaker.disable(client, settings, webhook, "the endpoint answered 410 Gone")
    notify_dead_lettered(delivery, webhook, reason)


def response_headers(head: bytes) -> list[list[str]]:
    """The endpoint's response headers as the attempt log keeps them: [name, value] pairs in the order received.

    Bounded (the first 20; names cut to 100 characters, values to 200, with "…") so a chatty endpoint cannot
    swell Redis or the history, and values of credential-like headers (cookies, auth, tokens, keys, secrets)
    hidden. `head` is the status line and header lines as the client read them (latin-1, as HTTP/1.1 has it);
    a repeated header (two Set-Cookie) stays two pairs. Plain string splits and a cache of names keep it to
    a few microseconds an attempt (the worker sends thousands a second).
    """
    out: list[list[str]] = []
    for line in head.decode("latin-1").split("\r\n", _LINES_READ)[1:_LINES_READ]:  # the rest unsplit, never read
        name, colon, value = line.partition(":")
        if not colon or line[0] in " \t:":  # not a header: no colon, an obsolete folded line, no name
            continue
        shown = _NAMES.get(name) or _name(name)
        out.append([shown[0], _REDACTED if shown[1] else _cut(value.strip(), MAX_VALUE_CHARS)])
        if len(out) == MAX_RESPONSE_HEADERS:
            break
    return out


_NAMES: dict[str, tuple[str, bool]] = {}  # name -> (name as kept, value hidden): names repeat across attempts


def _name(name: str) -> tuple[str, bool]:
    shown = (_cut(name.rstrip(), MAX_NAME_CHARS), _SECRET_NAME.search(name) is not None)
    if len(_NAMES) < 4096:  # bounded: an endpoint inventing names cannot grow it
        _NAMES[name] = shown
    return shown


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
