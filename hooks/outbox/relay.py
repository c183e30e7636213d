"""`hooks relay`: move committed events from the app's outbox table (HOOKS_OUTBOX_URL) to Redis, in batches.

A step takes the oldest rows (hooks/outbox/rows.py), publishes them in one atomic Redis call with each row's
idempotency key, then deletes them. Killed between the Redis call and the delete, the relay (or another) takes
the same rows again and Redis answers with the events already stored: nothing is published twice. A row that can
never be published is moved to `hooks_outbox_failed` with its error. Redis or the database down: the rows wait,
the relay logs one line when it goes and one when it is back, and tries again every few seconds.

It wakes on PostgreSQL's NOTIFY (a trigger on the table sends it at commit) and looks anyway every 10 x
HOOKS_OUTBOX_POLL_S; on other databases it looks every HOOKS_OUTBOX_POLL_S.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg
import redis
import sqlalchemy.exc
from sqlalchemy import Engine, Row

from hooks.errors import PublishError, ValidationError
from hooks.outbox import rows
from hooks.outbox.schema import check_tables, make_outbox_engine, safe_db
from hooks.outbox.wake import Waiter, waiter_for
from hooks.producer.publish import store
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis, is_out_of_memory, safe_url

log = logging.getLogger("hooks.relay")

# psycopg's own: the listening connection is made outside SQLAlchemy's wrapping (wake.py)
DB_DOWN = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
_AWAY = ("READONLY", "NOREPLICAS", "LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "read only replica")
_MAX_PAUSE_S = 2.0


def redis_away(exc: BaseException) -> bool:
    """Whether Redis failed as a server does when it is down, full, loading or failing over (try again later), not
    because of what was sent."""
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, OSError, PublishError)) or is_out_of_memory(exc):
        return True
    return isinstance(exc, redis.ResponseError) and any(mark in str(exc) for mark in _AWAY)


class Relay:
    """One relay process's loop over one outbox."""

    def __init__(self, settings: Settings, engine: Engine, stop: threading.Event) -> None:
        self.settings, self.engine, self.stop = settings, engine, stop
        self.locking = engine.dialect.name in rows.LOCKING
        self.waiter: Waiter = waiter_for(engine, settings, stop)
        self.trouble: dict[str, float] = {}  # "redis" / "database" -> since when (monotonic)
        self.relayed = 0

    def run(self) -> None:
        """Relay until `stop` is set."""
        pause = 0.25
        while not self.stop.is_set():
            if self.turn():
                pause = 0.25
                continue
            self.stop.wait(pause)
            pause = min(_MAX_PAUSE_S, pause * 2)
        self.waiter.close()

    def turn(self) -> bool:
        """One step, then a wait when the outbox is empty; False when something is away (the caller pauses)."""
        try:
            if "redis" in self.trouble:
                get_redis(self.settings).ping()  # no row is taken (or locked) while Redis is away
            self.waiter.prepare()  # listening before the look: a commit right after it is not missed
            taken = self.step()
        except DB_DOWN as exc:
            self._down("database", f"the outbox database {safe_db(self.engine)} cannot be reached", exc)
            self.waiter.reset()
            return False
        except Exception as exc:
            if redis_away(exc):
                self._down(
                    "redis", f"Redis at {safe_url(self.settings.redis_url)} is unreachable or refuses writes", exc
                )
            else:  # not ours to swallow silently, nor to die of: the rows wait, the traceback says why
                log.exception("relay: a step failed; the rows stay in the outbox and are tried again")
            return False
        self._back()
        if taken < self.settings.outbox_batch:
            self.waiter.wait()
        return True

    def step(self) -> int:
        """Publish one batch and finish it; returns the rows taken (0: the outbox is empty)."""
        if self.locking:  # take, publish and delete in one transaction that holds the rows' locks
            with self.engine.begin() as conn:
                batch = rows.take(conn, self.settings.outbox_batch)
                if batch:
                    rows.finish(conn, *self.publish(batch))
            return len(batch)
        with self.engine.begin() as conn:
            batch = rows.take(conn, self.settings.outbox_batch)
        if batch:
            done, bad = self.publish(batch)
            with self.engine.begin() as conn:
                rows.finish(conn, done, bad)
        return len(batch)

    def publish(self, batch: Sequence[Row[Any]]) -> tuple[list[int], list[tuple[Row[Any], str]]]:
        """Publish the batch's good rows in one call; returns their ids and the bad rows with their errors. Raises
        what Redis raises when it is away (nothing is deleted then)."""
        seen: dict[tuple[Any, ...], str | None] = {}
        bad = [(row, error) for row in batch if (error := rows.problem(row, self.settings, seen))]
        flawed = {row.id for row, _ in bad}
        good = [row for row in batch if row.id not in flawed]
        if not good:
            return [], bad
        try:
            for run in rows.runs_by_key_kind(good):
                self._store(run)
        except redis.ResponseError as exc:
            if redis_away(exc):
                raise
            return self._one_by_one(good, bad)  # Redis refused something in the batch: find which row
        except ValidationError:  # a strict type's schema refused a row (nothing of the run was stored): which
            return self._one_by_one(good, bad)
        self.relayed += len(good)
        return [row.id for row in good], bad

    def _one_by_one(self, good: list[Row[Any]], bad: list[tuple[Row[Any], str]]) -> tuple[list[int], Any]:
        done = []
        for row in good:
            try:
                self._store([row])
                done.append(row.id)
            except redis.ResponseError as exc:
                if redis_away(exc):
                    raise
                bad.append((row, f"Redis refused the event ({str(exc)[:300]})."))
            except ValidationError as exc:  # the event catalogue's schema for its type: `data.entry.title: ...`
                bad.append((row, str(exc)))
        self.relayed += len(done)
        return done, bad

    def _store(self, run: Sequence[Row[Any]]) -> None:
        """One Redis call for rows of one kind: the app's own keys are kept as long as `publish_event` keeps them,
        the keys made of an event id only as long as a dead relay's rows take to come back."""
        own = run[0].idempotency_key is not None
        ttl = self.settings.idempotency_ttl_s if own else self.settings.outbox_idempotency_ttl_s
        store(self.settings, [rows.publish_values(row) for row in run], idempotency_ttl_s=ttl)

    def _down(self, what: str, text: str, exc: BaseException) -> None:
        if what not in self.trouble:
            self.trouble[what] = time.monotonic()
            log.warning(
                "relay: %s (%s): events wait in the outbox, nothing is lost; trying again every %.0f s",
                text,
                _first_line(exc),
                _MAX_PAUSE_S,
            )

    def _back(self) -> None:
        for what, since in list(self.trouble.items()):
            del self.trouble[what]
            log.warning(
                "relay: %s is back after %.1f s; publishing what waited",
                "Redis" if what == "redis" else "the outbox database",
                time.monotonic() - since,
            )


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def wait_for_database(engine: Engine, stop: threading.Event) -> None:
    """Return once the outbox database answers and holds the tables; raises ConfigurationError when they are
    missing (the one line says what to run)."""
    logged = False
    while not stop.is_set():
        try:
            check_tables(engine)
            return
        except DB_DOWN as exc:
            if not logged:
                log.warning("relay: waiting for the outbox database %s (%s)", safe_db(engine), _first_line(exc))
                logged = True
            stop.wait(_MAX_PAUSE_S)


def main() -> int:
    """Entry point of the relay process; raises ConfigurationError (one line) on a bad setting or missing table."""
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not settings.outbox_url:
        log.warning(
            "relay: HOOKS_OUTBOX_URL is not set, so there is no outbox to relay; waiting until stopped "
            "(set it to the app's database URL, or leave `relay` out of the Procfile)"
        )
        stop.wait()
        return 0
    return serve(settings, make_outbox_engine(settings.outbox_url), stop)


def serve(settings: Settings, engine: Engine, stop: threading.Event) -> int:
    """Wait for the outbox database, then relay until `stop` is set (`hooks relay`, `manage.py hooks_relay`);
    raises ConfigurationError (one line) when the tables are missing."""
    wait_for_database(engine, stop)
    relay = Relay(settings, engine, stop)
    log.info("relay started (outbox %s, batch %d, %s)", safe_db(engine), settings.outbox_batch, relay.waiter)
    relay.run()
    log.info("relay stopped (%d events relayed)", relay.relayed)
    engine.dispose()
    return 0
