"""The history stream: finished records on their way from Redis to the history (PostgreSQL).

The drains' take script appends one entry per settled batch (`d`, the deliveries' new states with their
attempts) and per finished event (`e`), see hooks/store/includes/history.lua; the archiver (workers/archiver/)
reads them with the consumer group `archivers`, writes them to PostgreSQL, then acknowledges and deletes them.
What is in the stream is the backlog: records finished but not in the history yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from hooks.store.keys import Keys

GROUP = "archivers"


@dataclass(frozen=True)
class Backlog:
    """Records waiting for the archiver: how many stream entries, and how old the oldest is."""

    entries: int
    oldest_age_s: float | None

    def __str__(self) -> str:
        if not self.entries:
            return "0 entries"
        return f"{self.entries} entries, the oldest {self.oldest_age_s:.1f} s old"


def backlog(client: redis.Redis, keys: Keys, *, now_s: float | None = None) -> Backlog:
    """The history stream's backlog (entries are deleted once archived, so its length is the backlog)."""
    with client.pipeline(transaction=False) as pipe:
        pipe.xlen(keys.history)
        pipe.xrange(keys.history, count=1)
        length, first = pipe.execute()
    if not first:
        return Backlog(int(length), None)
    oldest_ms = int(first[0][0].split(b"-")[0])
    return Backlog(int(length), max(0.0, (time.time() if now_s is None else now_s) - oldest_ms / 1000))
