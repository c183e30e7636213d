"""The archiver process: moves finished records from the Redis stream into the history (PostgreSQL).

It reads the stream with the consumer group `archivers` (XREADGROUP), writes a batch in one transaction
(idempotent: a batch written twice is stored once), then acknowledges and deletes the entries and takes the
finished deliveries and events off the indexes of work in flight. Several archivers may run; one that dies
(SIGKILL, any moment) leaves its entries pending, and another claims them once they have been idle for
`HOOKS_ARCHIVE_CLAIM_IDLE_S` (XAUTOCLAIM). While the database is down, delivery goes on, records wait in the
stream, and the archiver retries; it logs the backlog (entries, age of the oldest) once a minute while one
builds up. It also keeps the day partitions: made ahead of time, dropped past `HOOKS_RETENTION_DAYS`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import redis
import sqlalchemy.exc
from sqlalchemy.engine import Engine

from hooks.history import drop_expired, ensure_ahead, erase_event, write_batch
from hooks.metrics.counters import archived_ops
from hooks.settings import Settings
from hooks.store.keys import Keys
from hooks.store.scripts import beside
from hooks.store.stream import GROUP, backlog
from workers.archiver.batch import ArchiveBatch

log = logging.getLogger("workers.archiver")

_ACKNOWLEDGE = beside(__file__, "acknowledge")
_BLOCK_MS = 1000
# Records trickling in (one settle per delivery) would make a batch, a transaction and an acknowledgement per
# record: after a read of fewer than _LINGER_BELOW entries, the next read waits _LINGER_S first, so they gather
# (a tenth of a second more before the history has them). A read that found nothing does not linger: the first
# record after a quiet spell is written at once.
_LINGER_S = 0.1
_LINGER_BELOW = 100
_MAINTAIN_EVERY_S = 3600
_REPORT_EVERY_S = 60
DATABASE_ERRORS = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)  # down, restarting, cut


class Archiver:
    """One archiver: its consumer name in the group, and what it does per turn."""

    def __init__(self, settings: Settings, client: redis.Redis, engine: Engine) -> None:
        self.settings, self.client, self.engine = settings, client, engine
        self.keys = Keys(settings)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.own_pending = True  # at start, and after a failed write: first what was delivered to us
        self.next_claim = self.next_report = 0.0
        self.linger = False  # the last read of new entries was small: let the next ones gather first

    def ensure_group(self) -> None:
        """Create the consumer group (from the stream's start, so nothing appended before is skipped)."""
        try:
            self.client.xgroup_create(self.keys.history, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self) -> ArchiveBatch:
        """The next entries: our own pending ones first, then a dead archiver's, then new ones (waits up to 1 s)."""
        batch = ArchiveBatch()
        for entry_id, fields in self._entries():
            batch.add(entry_id, fields)
        return batch

    def _entries(self) -> list[tuple[bytes, Any]]:
        count, stream = self.settings.archive_batch, self.keys.history
        if self.own_pending:
            mine = _entries_of(self.client.xreadgroup(GROUP, self.consumer, {stream: "0"}, count=count))
            if mine:
                return mine
            self.own_pending = False
        if time.monotonic() >= self.next_claim:
            self.next_claim = time.monotonic() + self.settings.archive_claim_idle_s / 2
            idle_ms = int(self.settings.archive_claim_idle_s * 1000)
            claimed = self.client.xautoclaim(stream, GROUP, self.consumer, idle_ms, start_id="0-0", count=count)
            if claimed[1]:
                log.info("archiver: claimed %d entries of an archiver that stopped", len(claimed[1]))
                return list(claimed[1])
        if self.linger:
            time.sleep(_LINGER_S)
        entries = _entries_of(self.client.xreadgroup(GROUP, self.consumer, {stream: ">"}, count=count,
                                                     block=_BLOCK_MS))  # fmt: skip
        self.linger = 0 < len(entries) < min(count, _LINGER_BELOW)
        return entries

    def archive(self, batch: ArchiveBatch) -> None:
        """Write the batch in one transaction, then acknowledge and delete its entries and forget what finished.

        A batch the database refuses for its data (not for being down) is written entry by entry; an entry it
        refuses on its own is kept in `{p}:history:rejected` for an operator, with the error, not dropped.
        """
        try:
            if batch.deliveries or batch.events:
                write_batch(self.engine, batch.events, batch.deliveries, batch.attempts)
                self._erase_again(batch)
        except DATABASE_ERRORS:
            raise
        except sqlalchemy.exc.DBAPIError as exc:
            if len(batch.entry_ids) == 1:
                self._reject(batch, exc)
            else:
                for one in batch.split():
                    self.archive(one)
                return
        self._done(batch)

    def _erase_again(self, batch: ArchiveBatch) -> None:
        """Erase, now that they are written, the batch's events whose payload was erased while their record was on
        its way here (a marker left by hooks/deliveries/events.py): that erasure found no row to clear, and the
        record carried the payload. One MGET per batch with events; an erasure is rare."""
        ids = batch.finished_events
        if not ids:
            return
        for event_id, marker in zip(ids, self.client.mget([self.keys.erased(i) for i in ids]), strict=True):
            if marker is not None:
                erase_event(self.engine, event_id)

    def _reject(self, batch: ArchiveBatch, exc: BaseException) -> None:
        reason = str(exc).splitlines()[0][:500]
        log.error("archiver: the history refused stream entry %s (%s); kept in %s:rejected",
                  batch.entry_ids[0].decode(), reason, self.keys.history)  # fmt: skip
        fields: dict[Any, Any] = {**batch.raw.get(batch.entry_ids[0], {}), b"error": reason.encode()}
        self.client.xadd(self.keys.history_rejected, fields)

    def _done(self, batch: ArchiveBatch) -> None:
        ops = archived_ops(self.settings, batch.deliveries, batch.attempts)  # the metrics (hooks/metrics/)
        done, events = batch.finished_deliveries, batch.finished_events
        _ACKNOWLEDGE.run(self.client, self.keys.p, self.keys.history, GROUP, len(batch.entry_ids), *batch.entry_ids,
                         len(done), *done, len(events), *events, *ops)  # fmt: skip

    def forget_gone_consumers(self) -> int:
        """Delete the group's consumers that hold nothing and have been idle an hour: each archiver start adds one
        (named by host and pid), so restarts would otherwise pile them up. Deleting one that holds nothing loses
        nothing, and a live one is made again by its next read. Returns how many went."""
        gone = 0
        for c in self.client.xinfo_consumers(self.keys.history, GROUP):
            name = c["name"].decode() if isinstance(c["name"], bytes) else c["name"]
            if name != self.consumer and int(c["pending"]) == 0 and int(c["idle"]) > _MAINTAIN_EVERY_S * 1000:
                gone += int(self.client.xgroup_delconsumer(self.keys.history, GROUP, name) == 0)
        return gone

    def maintain(self, now: float) -> None:
        """Make the day partitions ahead of time and drop those past the retention (under the history's lock), then
        forget the group's gone consumers."""
        with self.engine.begin() as conn:
            made = ensure_ahead(conn, now, self.settings.partitions_ahead_days)
            dropped = drop_expired(conn, now, self.settings.retention_days)
        if made or dropped:
            log.info("archiver: partitions made %s, dropped %s", made or "none", dropped or "none")
        self.forget_gone_consumers()

    def report(self) -> None:
        """Log the backlog once a minute while there is one worth mentioning."""
        if time.monotonic() < self.next_report:
            return
        self.next_report = time.monotonic() + _REPORT_EVERY_S
        waiting = backlog(self.client, self.keys)
        if waiting.oldest_age_s is not None and waiting.oldest_age_s > 5:
            log.warning("archiver: history backlog %s", waiting)


def _entries_of(reply: Any) -> list[tuple[bytes, Any]]:
    """The entries of an XREADGROUP reply on one stream."""
    return list(reply[0][1]) if reply else []


def run(settings: Settings, client: redis.Redis, engine: Engine, stop: threading.Event) -> None:
    """Archive until `stop` is set; Redis and database outages are waited out (logged once each), not fatal.

    The next batch is read and parsed in a second thread while the database writes the current one (the
    archiver's own CPU and PostgreSQL's then overlap); after a failure it is dropped: its entries stay pending
    for this consumer and are read again.
    """
    archiver = Archiver(settings, client, engine)
    outage = Outages()
    next_maintenance = 0.0
    with ThreadPoolExecutor(1, thread_name_prefix="archiver-read") as reader:
        upcoming: Future[ArchiveBatch] | None = None
        while not stop.is_set():
            try:
                if outage.redis:
                    archiver.ensure_group()
                batch = upcoming.result() if upcoming else archiver.read()
                upcoming = None
                if batch.entry_ids:
                    upcoming = reader.submit(archiver.read)
                    archiver.archive(batch)
                if time.monotonic() >= next_maintenance:
                    archiver.maintain(time.time())
                    next_maintenance = time.monotonic() + _MAINTAIN_EVERY_S
                archiver.report()
                outage.redis_back()  # a whole turn went through: say so if Redis or the database was gone
                outage.database_back()
            except Exception as exc:  # noqa: BLE001 - sorted out by _wait_after
                _drop(upcoming)
                upcoming = None
                stop.wait(_wait_after(exc, archiver, outage))


def _drop(upcoming: Future[ArchiveBatch] | None) -> None:
    """Forget a batch read ahead (its entries stay pending for this consumer and are read again)."""
    if upcoming is not None and not upcoming.cancel():
        upcoming.exception()  # a read under way: let it end first


def _wait_after(exc: Exception, archiver: Archiver, outage: Outages) -> float:
    """Log a failed turn once per outage; returns how long to wait before the next one."""
    archiver.own_pending = True  # what was read stays ours, pending: written when the failure is over
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        outage.redis_down(exc)
        return 1.0
    if isinstance(exc, DATABASE_ERRORS):
        return outage.database_down(exc)
    return outage.unexpected(exc)  # an archiver that stops lets Redis fill up: log, wait, go on


class Outages:
    """Logs one line when Redis or the database goes away and one when it is back, not one per turn."""

    def __init__(self) -> None:
        self.redis = True  # until a read succeeds: (re)create the group first (new, or Redis restarted empty)
        self.redis_lost = False
        self.database_since: float | None = None
        self.next_trace = 0.0

    def redis_down(self, exc: BaseException) -> None:
        """Log the Redis outage's start."""
        if not self.redis_lost:
            log.warning("archiver: Redis unavailable (%s); waiting for it", type(exc).__name__)
        self.redis = self.redis_lost = True

    def redis_back(self) -> None:
        """A read went through."""
        if self.redis_lost:
            log.info("archiver: Redis is back")
        self.redis = self.redis_lost = False

    def database_down(self, exc: BaseException) -> float:
        """Log the outage's start; returns how long to wait before the next try."""
        if self.database_since is None:
            self.database_since = time.monotonic()
            log.warning("archiver: history database unavailable (%s); records wait in the stream",
                        str(exc).splitlines()[0][:200])  # fmt: skip
        return min(5.0, 0.5 + (time.monotonic() - self.database_since) / 10)

    def unexpected(self, exc: BaseException) -> float:
        """Anything else: the stream or its group gone (Redis restarted empty, or flushed) is made again at the
        next turn; other errors are logged with their traceback, once a minute. Returns how long to wait."""
        self.redis = True
        if isinstance(exc, redis.ResponseError) and str(exc).startswith(("NOGROUP", "UNBLOCKED")):
            return 0.0
        if time.monotonic() >= self.next_trace:
            self.next_trace = time.monotonic() + 60
            log.exception("archiver: unexpected error; going on")
        return 1.0

    def database_back(self) -> None:
        """A turn went through: if the database was down, say it is back."""
        if self.database_since is not None:
            log.info("archiver: history database back after %.1f s", time.monotonic() - self.database_since)
            self.database_since = None


def main() -> int:
    """Entry point of the archiver process: refuses to start without a database or on an old schema."""
    import signal

    from hooks.history import make_engine
    from hooks.history.startup import wait_for_schema
    from hooks.settings import get_settings
    from hooks.store.connection import get_redis

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    engine = make_engine(settings.require_database())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    wait_for_schema(engine, stop)
    log.info("archiver started (batch %d, retention %s days)", settings.archive_batch, settings.retention_days)
    run(settings, get_redis(settings), engine, stop)
    log.info("archiver stopped")
    return 0
