"""The load a fault runs under: a publisher thread at a steady rate, and a tally of what the receiver got.

The publisher calls `publish_event` once per sequence number at `rate`/s; a `PublishError` is retried with the
same idempotency key (an unacknowledged publish may have been stored: the key makes the retry harmless), so an
event counts as acknowledged only once `publish_event` returned its id. It falls behind during an outage and
catches up after it (a producer's backlog), and stops at the first sequence number due after `stop_at`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from hooks.local.receiver import Receiver

EVENT_TYPE = "faults.tick"
STACK = "faults"


@dataclass
class FailedPublish:
    """One `publish_event` call that raised PublishError: when, how long it took, what it said."""

    at: float  # monotonic
    took_s: float
    message: str


class Publisher(threading.Thread):
    """Publishes `{"seq": n}` events at `rate`/s until `stop_at`, retrying each until acknowledged or `give_up_s`."""

    def __init__(self, name: str, rate: float, *, give_up_s: float = 120.0, retry_pause_s: float = 0.05) -> None:
        super().__init__(daemon=True, name=f"publisher-{name}")
        self.key_prefix = f"{name}-{time.time_ns()}"
        self.rate, self.give_up_s, self.retry_pause_s = rate, give_up_s, retry_pause_s
        self.stop_at = float("inf")  # monotonic; set by the fault once it is over
        self.acked: dict[int, tuple[str, float]] = {}  # seq -> (event id, monotonic time publish_event returned)
        self.failures: list[FailedPublish] = []
        self.abandoned: list[int] = []  # never acknowledged within give_up_s
        self.unexpected: list[str] = []  # anything but PublishError (a bug of the product or the bench)
        self.started_at = 0.0

    def run(self) -> None:
        from hooks import publish_event  # after the stack pointed this process's settings at its Redis

        self.started_at = time.monotonic()
        seq = 0
        while (due := self.started_at + seq / self.rate) < self.stop_at:
            if (wait := due - time.monotonic()) > 0:
                time.sleep(min(wait, 0.5))
                continue
            self._publish_until_acked(publish_event, seq)
            seq += 1

    def _publish_until_acked(self, publish_event: Any, seq: int) -> None:
        from hooks import PublishError

        first = time.monotonic()
        while True:
            called = time.monotonic()
            try:
                event_id = publish_event(
                    EVENT_TYPE, {"seq": seq}, stack=STACK, idempotency_key=f"{self.key_prefix}-{seq}"
                )
            except PublishError as exc:
                self.failures.append(FailedPublish(called, time.monotonic() - called, str(exc)[:300]))
            except Exception as exc:  # noqa: BLE001 - recorded and reported, never hidden
                self.unexpected.append(f"{type(exc).__name__}: {str(exc)[:300]}")
            else:
                self.acked[seq] = (event_id, time.monotonic())
                return
            if time.monotonic() - first > self.give_up_s:
                self.abandoned.append(seq)
                return
            time.sleep(self.retry_pause_s)

    @property
    def attempted(self) -> int:
        """Sequence numbers tried so far (acknowledged or abandoned)."""
        return len(self.acked) + len(self.abandoned)


@dataclass
class Tally:
    """What one path of the receiver got, by sequence number: 2xx arrival times and webhook-ids."""

    receiver: Receiver
    path: str
    arrivals: dict[int, list[float]] = field(default_factory=dict)  # seq -> monotonic times of its 2xx arrivals
    webhook_ids: dict[str, int] = field(default_factory=dict)  # webhook-id -> 2xx arrivals
    requests: int = 0  # every request to the path, 2xx or not
    _seen: int = 0

    def update(self) -> Tally:
        """Read what arrived since the last update."""
        new = self.receiver.received[self._seen :]  # appended under the receiver's lock; a slice is atomic
        self._seen += len(new)
        offset = time.time() - time.monotonic()  # the receiver stamps wall time
        for r in new:
            if r.path != self.path:
                continue
            self.requests += 1
            if not 200 <= r.status < 300:
                continue
            seq = int(json.loads(r.body)["data"]["seq"])
            self.arrivals.setdefault(seq, []).append(r.at - offset)
            wid = r.headers.get("webhook-id", "")
            self.webhook_ids[wid] = self.webhook_ids.get(wid, 0) + 1
        return self

    def first_arrival(self, seq: int) -> float | None:
        """When `seq` first arrived (monotonic), or None."""
        times = self.arrivals.get(seq)
        return min(times) if times else None

    def all_times(self) -> list[float]:
        """Every 2xx arrival time, sorted."""
        return sorted(t for times in self.arrivals.values() for t in times)

    def missing(self, acked: dict[int, Any]) -> list[int]:
        """Acknowledged sequence numbers that have not arrived."""
        return sorted(s for s in acked if s not in self.arrivals)
