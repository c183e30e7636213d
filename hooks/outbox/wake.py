"""How an idle relay waits for new rows: LISTEN on PostgreSQL (the table's trigger NOTIFYs at commit), a gentle
poll elsewhere. Either way the wait ends early when the process is told to stop."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy import Engine

from hooks.outbox.tables import NOTIFY_CHANNEL
from hooks.settings import Settings

_SLICE_S = 0.5  # a wait checks for `stop` this often


class Waiter:
    """Polls: waits HOOKS_OUTBOX_POLL_S between looks."""

    def __init__(self, settings: Settings, stop: threading.Event) -> None:
        self.poll_s, self.stop = settings.outbox_poll_s, stop

    def wait(self) -> None:
        """Return when rows may have been committed, or when told to stop."""
        self.stop.wait(self.poll_s)

    def reset(self) -> None:
        """Forget any connection (the database went away)."""

    def prepare(self) -> None:
        """Get ready to be woken before the first look (a commit between that look and the wait is not missed)."""

    def close(self) -> None:
        """Release what the waiter holds."""

    def __str__(self) -> str:
        return f"looks every {self.poll_s:g} s"


class Listener(Waiter):
    """Waits for the outbox's NOTIFY on a connection of its own, and looks anyway every 10 x HOOKS_OUTBOX_POLL_S."""

    def __init__(self, settings: Settings, stop: threading.Event, engine: Engine) -> None:
        super().__init__(settings, stop)
        self.engine = engine
        self.conn: Any = None  # the psycopg connection that LISTENs (outside SQLAlchemy's pool)
        self.fairy: Any = None

    def wait(self) -> None:
        """Return at the first notification, after 10 x HOOKS_OUTBOX_POLL_S, or when told to stop."""
        try:
            self._wait_for_notify(self._listening())
        except Exception:  # noqa: BLE001 - the database went away: the next step says so, in one line
            self.reset()
            self.stop.wait(_SLICE_S)

    def _wait_for_notify(self, conn: Any) -> None:
        left = self.poll_s * 10
        while left > 0 and not self.stop.is_set():
            # let each generator run to its end: a suspended one keeps the connection's lock (a deadlock)
            if sum(1 for _ in conn.notifies(timeout=min(_SLICE_S, left), stop_after=1)):
                sum(1 for _ in conn.notifies(timeout=0, stop_after=1000))  # one look serves every commit before it
                return
            left -= _SLICE_S

    def prepare(self) -> None:
        """LISTEN now: a commit after this and before the first wait still wakes it."""
        self._listening()

    def reset(self) -> None:
        """Drop the listening connection; the next wait makes a new one."""
        if self.fairy is not None:
            with contextlib.suppress(Exception):
                self.fairy.invalidate()
        self.conn = self.fairy = None

    close = reset

    def _listening(self) -> Any:
        if self.conn is None:
            self.fairy = self.engine.raw_connection()
            conn = self.fairy.driver_connection
            conn.autocommit = True
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self.conn = conn
        return self.conn

    def __str__(self) -> str:
        return f"wakes on NOTIFY {NOTIFY_CHANNEL}, looks anyway every {self.poll_s * 10:g} s"


def waiter_for(engine: Engine, settings: Settings, stop: threading.Event) -> Waiter:
    """A listener on PostgreSQL, a poller elsewhere."""
    if engine.dialect.name == "postgresql":
        return Listener(settings, stop, engine)
    return Waiter(settings, stop)
