"""One narrow patch of kombu, in one place: a worker must survive Redis dying under it.

kombu >= 5.3.2 (celery/kombu#1733) reads a pending BRPOP reply first in `Channel.close()`. On a dead socket that
read raises ConnectionError and the channel stays half open. Celery 5.7 (celery/celery#10242, GH-9705) then closes
the connection twice after a broker loss: `collect()` (which swallows the error and sets the transport's `client`
to None), then `close()`, which closes the channel again: it restores its unacked messages through a new pool,
`_connparams` reads `None.hostname`, and the AttributeError ends the worker ("Restoring N unacknowledged
message(s)", then "Unrecoverable error: AttributeError(... 'hostname')"; the same crash family as
celery/kombu#582). A dead connection has no reply to read: skip it and close the rest; the unacked messages stay
in Redis for the visibility-timeout sweep. Made on kombu 5.7.0 / celery 5.7.0; a canary test
(tests/integration/workers/test_redis_restart.py) fails once kombu fixes it, which says this can go.
"""

from __future__ import annotations

import functools
from queue import Empty

from kombu.transport import redis as kombu_redis

# kombu's own close (the canary test runs it too)
original_close = getattr(kombu_redis.Channel.close, "__wrapped__", kombu_redis.Channel.close)


def apply() -> None:
    """Let kombu's Redis channel close when the BRPOP it waits on died with Redis (idempotent)."""
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
