"""Every Redis key the system uses, in one place, under the settings' prefix (default `hooks`).

| key                                  | type   | holds                                                    |
|--------------------------------------|--------|----------------------------------------------------------|
| {p}:wh:{webhook_id}                  | string | the webhook, JSON                                        |
| {p}:wh:all                           | zset   | every webhook id, scored by creation time (ms)           |
| {p}:wh:stack:{stack}:exact:{channel} | set    | webhook ids with this exact (wildcard-free) pattern      |
| {p}:wh:stack:{stack}:wild            | hash   | wildcard pattern -> number of webhooks using it          |
| {p}:wh:stack:{stack}:wild:{pattern}  | set    | webhook ids with this wildcard pattern                   |
| {p}:wh:stack:{stack}:route           | hash   | webhook id -> enabled flag and branches (registry.py)    |
| {p}:wh:state:{webhook_id}            | hash   | breaker and health state of a webhook                    |
| {p}:ev:{event_id}                    | hash   | event metadata and its two request bodies (TTL)          |
| {p}:idem:{key}                       | string | event id published with this idempotency key (TTL 24 h)  |
| {p}:dl:{delivery_id}                 | hash   | delivery state (TTL)                                     |
| {p}:dl:{delivery_id}:attempts        | list   | attempt records, JSON (TTL)                              |
| {p}:dl:all / by_wh:{id} / by_ev:{id} | zset   | delivery ids by creation time, for listing               |
| {p}:retry                            | zset   | deliveries waiting to retry, scored by due time (s)      |
| {p}:dlq                              | zset   | dead-lettered deliveries, scored by time (s)             |
| {p}:inflight:{webhook_id}            | zset   | drains sending to a webhook (lanes), by lease expiry     |
| {p}:wh:waiting:{webhook_id}          | zset   | deliveries parked while the breaker is open, by age      |
| {p}:breakers                         | zset   | webhooks with an open breaker, scored by cool-down end   |
| {p}:seq                              | string | counter that makes drain task ids unique (kick.py)       |
| {p}:fanout                           | list   | event ids waiting to be fanned out, oldest first         |
| {p}:ready                            | zset   | webhooks with deliveries ready, scored by turn           |
| {p}:ready:{webhook_id}               | list   | delivery ids ready to send to this webhook, in order     |
| {p}:capped                           | zset   | webhooks with work at their in-flight cap, by lane expiry |
| {p}:leased                           | zset   | delivery ids a drain is sending, scored by lease expiry  |
| {p}:drains                           | zset   | drain task tokens (queued or running), by lease expiry   |
| {p}:drains:idle                      | zset   | drains waiting for work, by lease expiry                 |
| {p}:drains:wake                      | list   | wake-up calls for idle drains (trimmed)                  |

Celery's own queues are the lists `events` and `deliveries` in the same database.
"""

from __future__ import annotations

from config import Settings

EVENTS_QUEUE = "events"
DELIVERIES_QUEUE = "deliveries"


class Keys:
    """Key builders bound to one settings prefix."""

    def __init__(self, settings: Settings) -> None:
        self.p = settings.key_prefix
        self.webhooks_all = f"{self.p}:wh:all"
        self.retry = f"{self.p}:retry"
        self.dlq = f"{self.p}:dlq"
        self.deliveries_all = f"{self.p}:dl:all"
        self.breakers = f"{self.p}:breakers"
        self.fanout = f"{self.p}:fanout"
        self.ready = f"{self.p}:ready"
        self.capped = f"{self.p}:capped"
        self.leased = f"{self.p}:leased"
        self.drains = f"{self.p}:drains"
        self.drains_idle = f"{self.p}:drains:idle"
        self.drains_wake = f"{self.p}:drains:wake"

    def webhook(self, webhook_id: str) -> str:
        return f"{self.p}:wh:{webhook_id}"

    def webhook_state(self, webhook_id: str) -> str:
        return f"{self.p}:wh:state:{webhook_id}"

    def exact(self, stack: str, channel: str) -> str:
        return f"{self.p}:wh:stack:{stack}:exact:{channel}"

    def wild_patterns(self, stack: str) -> str:
        return f"{self.p}:wh:stack:{stack}:wild"

    def wild(self, stack: str, pattern: str) -> str:
        return f"{self.p}:wh:stack:{stack}:wild:{pattern}"

    def route(self, stack: str) -> str:
        return f"{self.p}:wh:stack:{stack}:route"

    def event(self, event_id: str) -> str:
        return f"{self.p}:ev:{event_id}"

    def idempotency(self, key: str) -> str:
        return f"{self.p}:idem:{key}"

    def delivery(self, delivery_id: str) -> str:
        return f"{self.p}:dl:{delivery_id}"

    def attempts(self, delivery_id: str) -> str:
        return f"{self.p}:dl:{delivery_id}:attempts"

    def deliveries_by_webhook(self, webhook_id: str) -> str:
        return f"{self.p}:dl:by_wh:{webhook_id}"

    def deliveries_by_event(self, event_id: str) -> str:
        return f"{self.p}:dl:by_ev:{event_id}"

    def waiting(self, webhook_id: str) -> str:
        return f"{self.p}:wh:waiting:{webhook_id}"

    def inflight(self, webhook_id: str) -> str:
        return f"{self.p}:inflight:{webhook_id}"

    def ready_list(self, webhook_id: str) -> str:
        return f"{self.p}:ready:{webhook_id}"
