"""Two narrow patches of kombu's Redis transport, in one place: a worker must survive Redis dying under it, or
filling up.

1. Redis dying under a worker.
kombu >= 5.3.2 (celery/kombu#1733) reads a pending BRPOP reply first in `Channel.close()`. On a dead socket that
read raises ConnectionError and the channel stays half open. Celery 5.7 (celery/celery#10242, GH-9705) then closes
the connection twice after a broker loss: `collect()` (which swallows the error and sets the transport's `client`
to None), then `close()`, which closes the channel again: it restores its unacked messages through a new pool,
`_connparams` reads `None.hostname`, and the AttributeError ends the worker ("Restoring N unacknowledged
message(s)", then "Unrecoverable error: AttributeError(... 'hostname')"; the same crash family as
celery/kombu#582). A dead connection has no reply to read: skip it and close the rest; the unacked messages stay
in Redis for the visibility-timeout sweep. Made on kombu 5.7.0 / celery 5.7.0; a canary test
(tests/integration/workers/test_redis_restart.py) fails once kombu fixes it, which says this can go.

2. Redis full (maxmemory reached, noeviction). A worker that pops a task message records it as unacknowledged
(ZADD + HSET), and acknowledges it with ZREM + HDEL inside MULTI; a full Redis refuses those writes (inside MULTI,
even the ones that free memory), and Celery takes the OutOfMemoryError for an unrecoverable error: the worker
exits, which stops the very drains that would free memory. Such a message is run anyway, untracked (only drain
tasks and the legacy requeue tasks travel here, and both are safe to lose once started: a drain's work is leased
in Redis and comes back through the scheduler, and a drain that is not running is kicked again), and the ack
falls back to ZREM and HDEL without MULTI, which a full Redis accepts. The worker's periodic sweep for abandoned
messages takes a lock with SET, which a full Redis refuses too: that sweep is skipped (the
scheduler's sweep runs again later). Logged once per full spell. Redis 7 may refuse a MULTI at its EXEC instead
of at a command ("EXECABORT Transaction discarded because of: OOM ..."): redis-py then raises ExecAbortError,
which counts as full too (`FULL`, `_full`).
"""

from __future__ import annotations

import functools
import logging
import time
from queue import Empty
from typing import Any

import redis
from kombu.transport import redis as kombu_redis

log = logging.getLogger("workers")

# what a full Redis raises: OutOfMemoryError, or ExecAbortError when Redis 7 refuses a MULTI whole at its EXEC
FULL = (redis.exceptions.OutOfMemoryError, redis.exceptions.ExecAbortError)


def _full(exc: BaseException) -> bool:
    """True if `exc` (one of FULL) says Redis is out of memory; another EXECABORT is not ours to swallow."""
    return isinstance(exc, redis.exceptions.OutOfMemoryError) or "OOM" in str(exc)


# kombu's own methods (the canary tests run them too)
original_close = getattr(kombu_redis.Channel.close, "__wrapped__", kombu_redis.Channel.close)
original_append = getattr(kombu_redis.QoS.append, "__wrapped__", kombu_redis.QoS.append)
original_ack = getattr(kombu_redis.QoS.ack, "__wrapped__", kombu_redis.QoS.ack)
original_restore_visible = getattr(kombu_redis.QoS.restore_visible, "__wrapped__", kombu_redis.QoS.restore_visible)


def apply() -> None:
    """Both patches (idempotent), and kombu's Redis warnings once a minute each, not once a second."""
    _close_after_a_dead_brpop()
    _run_untracked_when_full()
    kombu_log = logging.getLogger("kombu.transport.redis")
    if not any(isinstance(f, OncePerMinute) for f in kombu_log.filters):
        kombu_log.addFilter(OncePerMinute())


class OncePerMinute(logging.Filter):
    """Lets a message through once a minute (kombu retries its binding refresh every second, with a traceback)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self.last.get(str(record.msg), -60.0) < 60:
            return False
        self.last[str(record.msg)] = now
        return True


def _run_untracked_when_full() -> None:
    qos = kombu_redis.QoS
    if getattr(qos.append, "_hooks_patched", False):
        return

    @functools.wraps(original_append)
    def append_or_run_untracked(self: kombu_redis.QoS, message: object, delivery_tag: object) -> None:
        try:
            original_append(self, message, delivery_tag)
        except FULL as exc:
            if not _full(exc):
                raise
            if not getattr(qos, "_hooks_full", False):
                log.warning("worker: Redis is full: task messages run untracked until it has room again")
            qos._hooks_full = True  # type: ignore[attr-defined]
            super(kombu_redis.QoS, self).append(message, delivery_tag)  # the in-memory record only
            return
        qos._hooks_full = False  # type: ignore[attr-defined]

    @functools.wraps(original_ack)
    def ack_even_when_full(self: kombu_redis.QoS, delivery_tag: object) -> None:
        try:
            original_ack(self, delivery_tag)
        except FULL as exc:  # MULTI refused whole: remove the two entries one by one
            if not _full(exc):
                raise
            with self.channel.conn_or_acquire() as client:
                client.zrem(self.unacked_index_key, delivery_tag)
                client.hdel(self.unacked_key, delivery_tag)
            super(kombu_redis.QoS, self).ack(delivery_tag)

    @functools.wraps(original_restore_visible)
    def restore_visible_unless_full(self: kombu_redis.QoS, *args: Any, **kwargs: Any) -> None:
        try:
            original_restore_visible(self, *args, **kwargs)
        except FULL as exc:  # its lock is a SET: skipped, the next sweep runs it
            if not _full(exc):
                raise
            if not getattr(qos, "_hooks_full", False):
                log.warning("worker: Redis is full: the sweep for abandoned task messages waits until it has room")
            qos._hooks_full = True  # type: ignore[attr-defined]

    append_or_run_untracked._hooks_patched = True  # type: ignore[attr-defined]
    qos.append = append_or_run_untracked  # type: ignore[method-assign]
    qos.ack = ack_even_when_full  # type: ignore[method-assign]
    qos.restore_visible = restore_visible_unless_full  # type: ignore[method-assign]


def _close_after_a_dead_brpop() -> None:
    """Let kombu's Redis channel close when the BRPOP it waits on died with Redis."""
    channel = kombu_redis.Channel
    if getattr(channel.close, "_hooks_patched", False):
        return

    @functools.wraps(original_close)
    def close_after_a_dead_brpop(self: kombu_redis.Channel) -> None:
        self._closing = True
        if self._in_poll:
            try:
                self._brpop_read()  # what close() does first; it clears _in_poll whatever happens
            except Empty:
                pass
            except self.connection_errors:
                pass  # Redis is gone: no reply is coming
        original_close(self)

    close_after_a_dead_brpop._hooks_patched = True  # type: ignore[attr-defined]
    channel.close = close_after_a_dead_brpop  # type: ignore[method-assign]
