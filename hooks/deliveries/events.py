"""Reading events, merged from Redis (in flight, waiting for fan-out too) and the history; erasing payloads.

An event in flight is a Redis hash (`open` deliveries not finished yet, `fanned` once its fan-out is complete)
listed in `{p}:ev:all`; once its last delivery finished, the archiver writes it to the history. Erasure (a
privacy request) removes the payloads from both: the history keeps the row without its bodies, and Redis drops
the bodies of an event still in flight, whose deliveries then end failed without being sent.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, fields
from typing import Any

import redis

from hooks.deliveries.page import Page
from hooks.deliveries.query import list_deliveries
from hooks.errors import NotFoundError, ValidationError
from hooks.history import erase_event as history_erase_event
from hooks.history import erase_stack as history_erase_stack
from hooks.history import get_event as history_event
from hooks.history import list_events as history_events
from hooks.history.connection import UNREACHABLE, get_engine, unavailable
from hooks.history.cursors import decode_cursor, encode_cursor
from hooks.history.records import event_at_s
from hooks.history.times import as_datetime
from hooks.models.delivery import Delivery
from hooks.models.event import MAX_DEPTH
from hooks.models.rules import check_name
from hooks.settings import Settings, get_settings
from hooks.store.connection import decoded, get_redis
from hooks.store.keys import Keys

log = logging.getLogger(__name__)

LISTING = "events"


@dataclass
class EventInfo:
    """An event as operators see it: where it stands, its payload (unless erased), and its deliveries."""

    id: str
    type: str
    stack: str
    branch: str
    channels: list[str]
    published_at: float
    state: str  # waiting (for fan-out) | in_flight | finished
    open_deliveries: int = 0
    body: Any = None
    erased_at: float | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    # webhooks matched but left out by their payload filter (at most 100 ids; `filtered_count` counts them all):
    # noted on the event in Redis by the fan-out (take.lua), and carried to the history with the event
    filtered_out: list[str] = field(default_factory=list)
    filtered_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (deliveries as dicts); the payload is not copied (asdict would recurse through it)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["deliveries"] = [d.to_dict() for d in self.deliveries]
        return data


def get_event(event_id: str, *, deliveries_limit: int = 100) -> EventInfo:
    """An event, with its payload and deliveries; raises NotFoundError or HistoryUnavailableError."""
    settings = get_settings()
    if not isinstance(event_id, str) or not event_id.startswith("evt_"):
        raise NotFoundError(f"event {event_id!r} does not exist (ids look like evt_01J...).")
    raw: dict[bytes, Any] = get_redis(settings).hgetall(Keys(settings).event(event_id))  # type: ignore[assignment]
    info = _from_hash(event_id, raw, with_body=True) if raw else None
    if info is None or info.state == "finished":  # a finished event: the history has the last word (an erasure)
        info = _from_history(event_id) or info
    if info is None:
        raise NotFoundError(f"event {event_id} does not exist.")
    if raw.get(b"filtered"):  # still in Redis (the history has it too once archived, revision 0004)
        info.filtered_out, info.filtered_count = _filtered(raw)
    info.deliveries = list(list_deliveries(event_id=event_id, limit=deliveries_limit))
    return info


def event_stack(event_id: str) -> str | None:
    """The stack of an event (Redis while in flight, else the history), None when there is no such event.

    One HGET while the event is in Redis; one indexed lookup in its day partition after. Raises
    HistoryUnavailableError when only the history could say and does not answer."""
    if not isinstance(event_id, str) or not event_id.startswith("evt_"):
        return None
    settings = get_settings()
    stack = get_redis(settings).hget(Keys(settings).event(event_id), "stack")
    if stack is not None:
        return stack.decode()  # type: ignore[union-attr, no-any-return]
    info = _from_history(event_id, with_body=False)
    return info.stack if info is not None else None


def _from_history(event_id: str, *, with_body: bool = True) -> EventInfo | None:
    try:
        detail = history_event(get_engine(), event_id, deliveries_limit=0)
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    except NotFoundError:
        return None
    return _from_record(detail.event, with_body=with_body)


def list_events(*, stack: str | None = None, limit: int = 50, cursor: str | None = None) -> Page[EventInfo]:
    """A page of events, newest first (in flight and finished), without payloads; raises ValidationError."""
    if stack is not None:
        check_name(stack, "stack")
    settings = get_settings()
    before = decode_cursor(LISTING, cursor)[1] if cursor else None
    live, live_more = _in_flight(stack, limit, before)
    try:
        old, old_more = history_events(get_engine(settings), stack=stack, limit=limit, cursor=cursor)
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    merged = {e.id: _from_record(e, with_body=False) for e in old}
    merged.update((e.id, e) for e in live)
    items = [merged[i] for i in sorted(merged, reverse=True)][: limit + 1]
    more = len(items) > limit or live_more or old_more is not None
    page = items[:limit]
    last = page[-1].id if page else ""
    return Page(page, encode_cursor(LISTING, as_datetime(event_at_s(last)), last) if more and page else None)


def erase_event(event_id: str) -> bool:
    """Remove an event's payloads from the history and from Redis; returns whether there was such an event."""
    settings = get_settings()
    in_redis = _erase_in_redis(settings, [event_id]) > 0
    try:
        in_history = history_erase_event(get_engine(settings), event_id)
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    return in_redis or in_history


def erase_stack(stack: str, *, before: float | None = None) -> int:
    """Remove the payloads of every event of a stack (published before a Unix time); returns how many events."""
    check_name(stack, "stack")
    if before is not None and (not isinstance(before, int | float) or isinstance(before, bool)):
        raise ValidationError(f"before: expected a Unix time in seconds, got {type(before).__name__}.")
    settings = get_settings()
    erased = 0
    chosen: list[str] = []
    for info in _each_in_flight(stack):
        if before is None or info.published_at < before:
            chosen.append(info.id)
        if len(chosen) == _ERASE_CHUNK:
            erased, chosen = erased + _erase_in_redis(settings, chosen), []
    erased += _erase_in_redis(settings, chosen)
    try:
        return erased + history_erase_stack(get_engine(settings), stack, before)
    except UNREACHABLE as exc:
        raise unavailable(exc) from None


_ERASE_CHUNK = 500  # events erased in Redis per pipeline (one round trip each)


def _erase_in_redis(settings: Settings, event_ids: list[str]) -> int:
    """Remove events' payloads from Redis, in one round trip; returns how many hashes had them.

    Their history records may already be on their way to PostgreSQL with the payload (in the stream, or in an
    archiver's batch), and erasing the history finds no row until the archiver writes it. So a marker is left
    first, for as long as the history keeps events: the archiver erases, once written, every event of its batch that
    carries one (workers/archiver/archiver.py). Either the archiver reads the marker after its commit, or the commit
    came before the marker and so before the history's erasure here, which then finds the row: the payload never
    stays. On a full Redis the markers are refused (the HDELs, which free memory, are not): said in the log.
    """
    if not event_ids:
        return 0
    keys, ttl_s = Keys(settings), max(1, int(settings.retention_days * 86400))
    with get_redis(settings).pipeline(transaction=False) as pipe:
        for event_id in event_ids:
            pipe.hdel(keys.event(event_id), "body", "concise_body")
            pipe.set(keys.erased(event_id), f"{time.time():.3f}", ex=ttl_s)
        replies = pipe.execute(raise_on_error=False)
    for event_id, marked in zip(event_ids, replies[1::2], strict=True):
        if isinstance(marked, redis.exceptions.OutOfMemoryError):
            log.warning("Redis is full: event %s's payload is erased, but a history record on its way to PostgreSQL "
                        "may still bring it there; erase it again once Redis has room", event_id)  # fmt: skip
        elif isinstance(marked, Exception):
            raise marked
    for had in replies[0::2]:
        if isinstance(had, Exception):
            raise had
    return sum(int(had) > 0 for had in replies[0::2])


def _in_flight(stack: str | None, limit: int, before: str | None) -> tuple[list[EventInfo], bool]:
    out: list[EventInfo] = []
    for info in _each_in_flight(stack, before):
        if len(out) == limit:
            return out, True
        out.append(info)
    return out, False


def _each_in_flight(stack: str | None, before: str | None = None) -> Any:
    """The events in Redis, newest first, ids below `before`, of one stack (a generator, a page of ids at a time)."""
    settings = get_settings()
    client, keys = get_redis(settings), Keys(settings)
    high = f"({before}" if before else "+"
    while True:
        ids = decoded(client.zrevrangebylex(keys.events_all, high, "-", start=0, num=200))
        if not ids:
            return
        high = f"({ids[-1]}"
        with client.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hmget(keys.event(i), *(f.decode() for f in _LIST_FIELDS))
            rows = pipe.execute()
        for i, row in zip(ids, rows, strict=True):
            if row[0] is not None and (stack is None or row[1].decode() == stack):
                yield _from_hash(i, dict(zip(_LIST_FIELDS, row, strict=True)), with_body=False)


_LIST_FIELDS = (b"type", b"stack", b"branch", b"channels", b"open", b"fanned", b"filtered", b"filtered_count")


def _filtered(raw: dict[bytes, Any]) -> tuple[list[str], int]:
    """The webhooks the fan-out's payload filters left out (take.lua), and how many, from the event's hash."""
    ids = [i for i in (raw.get(b"filtered") or b"").decode().split(",") if i]
    return ids, int(raw.get(b"filtered_count") or len(ids))


def _from_hash(event_id: str, raw: dict[bytes, Any], *, with_body: bool) -> EventInfo:
    text = {k.decode(): (v.decode() if v is not None else None) for k, v in raw.items()}
    fanned, open_ = text.get("fanned") == "1", int(text.get("open") or 0)
    state = "waiting" if not fanned else ("in_flight" if open_ > 0 else "finished")
    body = text.get("body") if with_body else None
    info = EventInfo(event_id, text.get("type") or "", text.get("stack") or "", text.get("branch") or "",
                     [c for c in (text.get("channels") or "").split(",") if c], event_at_s(event_id), state,
                     open_, _payload(event_id, body) if body else None)  # fmt: skip
    info.filtered_out, info.filtered_count = _filtered(raw)
    return info


def _from_record(record: Any, *, with_body: bool) -> EventInfo:
    body = _payload(record.id, record.body) if with_body and record.body else None
    return EventInfo(record.id, record.type, record.stack, record.branch, list(record.channels),
                     event_at_s(record.id), "finished", 0, body, record.erased_at,
                     filtered_out=list(record.filtered_out or []),
                     filtered_count=record.filtered_count or 0)  # fmt: skip


def _payload(event_id: str, body: str | bytes) -> Any:
    """An event's stored body, parsed; raises ValidationError when it nests too deeply to parse here (an event
    published before MAX_DEPTH, from a shallower stack than this one)."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValidationError(f"data: the payload of {event_id} nests too deeply to read (it was published before "
                              f"events were limited to {MAX_DEPTH} levels).") from None  # fmt: skip
