"""Every Redis key the system uses, in one place, under the settings' prefix (default `hooks`).

| key                                  | type   | holds                                                    |
|--------------------------------------|--------|----------------------------------------------------------|
| {p}:wh:{webhook_id}                  | string | the webhook, JSON                                        |
| {p}:wh:all                           | zset   | every webhook id, scored by creation time (ms)           |
| {p}:wh:stack:{stack}:exact:{channel} | set    | webhook ids with this exact (wildcard-free) pattern      |
| {p}:wh:stack:{stack}:wild            | hash   | wildcard pattern -> number of webhooks using it          |
| {p}:wh:stack:{stack}:wild:{pattern}  | set    | webhook ids with this wildcard pattern                   |
| {p}:wh:stack:{stack}:route           | hash   | webhook id -> enabled flag, branches and payload filter  |
|                                      |        | (registry/index.py)                                      |
| {p}:wh:state:{webhook_id}            | hash   | breaker and health state of a webhook                    |
| {p}:wh:oauth2:{webhook_id}           | string | its OAuth2 token, sealed, and its settings' digest (TTL) |
| {p}:wh:oauth2:{webhook_id}:lock      | string | held by the one worker fetching a new token (TTL)        |
| {p}:ev:{event_id}                    | hash   | an event in flight: metadata, its two bodies, `open`     |
|                                      |        | deliveries, `fanned` (TTL; finished: HOOKS_FINISHED_TTL_S) |
|                                      |        | and `filtered` webhook ids (<= 100) / `filtered_count`   |
| {p}:ev:all                           | zset   | events in flight, all scored 0: newest first by id (lex) |
| {p}:idem:{key}                       | string | event id published with this idempotency key (TTL 24 h)  |
| {p}:erased:{event_id}                | string | its payload was erased (Unix s) while its history record |
|                                      |        | may be on its way: the archiver erases it again once     |
|                                      |        | written (TTL: the retention)                             |
| {p}:dl:{delivery_id}                 | hash   | delivery state and its last attempt (TTL; finished: HOOKS_FINISHED_TTL_S) |
| {p}:dl:all / by_wh:{id} / by_ev:{id} | zset   | deliveries in flight, all scored 0: by id (lex)          |
| {p}:retry                            | zset   | deliveries waiting to retry, scored by due time (s)      |
| {p}:history                          | stream | finished records for the archiver (group `archivers`)    |
| {p}:inflight:{webhook_id}            | zset   | drains sending to a webhook (lanes), by lease expiry     |
| {p}:wh:waiting:{webhook_id}          | zset   | deliveries parked while the breaker is open, by age      |
| {p}:breakers                         | zset   | webhooks with an open breaker, scored by cool-down end   |
| {p}:seq                              | string | counter that makes drain task ids unique (kick.lua)      |
| {p}:fanout                           | list   | event ids waiting to be fanned out, oldest first         |
| {p}:ready                            | zset   | webhooks with deliveries ready, scored by turn           |
| {p}:ready:{webhook_id}               | list   | delivery ids ready to send to this webhook, in order     |
| {p}:capped                           | zset   | webhooks with work at their in-flight cap, by lane expiry |
|                                      |        | (or held: an ordered webhook's failed delivery waits);    |
|                                      |        | un-parked by recover.lua only (with the expired leases)   |
| {p}:rated_wait                       | zset   | rated webhooks with work, out of tokens, by when the next |
|                                      |        | one is due; un-parked by take.lua (recover: fallback)     |
| {p}:ordered                          | set    | ids of webhooks with `ordered: true` (one in flight)      |
| {p}:rates                            | hash   | webhook id -> its rate_limit_per_s (rated webhooks only)  |
| {p}:bucket:{webhook_id}              | hash   | a rated webhook's token bucket: `t` tokens at `at` (Redis |
|                                      |        | TIME, s); TTL: gone once it would be full again           |
| {p}:capped:waker                     | string | the idle drain that wakes when the next {p}:rated_wait    |
|                                      |        | token is due (others poll every 0.25 s); PX: until then   |
| {p}:held                             | hash   | ordered webhook id -> the failed delivery holding the rest |
| {p}:leased                           | zset   | delivery ids a drain is sending, scored by lease expiry  |
| {p}:drains                           | zset   | drain task tokens (queued or running), by lease expiry   |
| {p}:drains:idle                      | zset   | drains waiting for work, by lease expiry                 |
| {p}:drains:wake                      | list   | wake-up calls, at most one per idle drain                |
| {p}:no-such-key                      | string | never exists: deleted first by scripts that must run on  |
|                                      |        | a full Redis (when_full.lua)                             |
| {p}:history:rejected                 | stream | history entries the database refused, with the error     |
| {p}:test:{token}                     | list   | the answer of one test send, for the API waiting (TTL)   |

Celery's own queues are the lists `events`, `deliveries` and `tests` (test sends) in the same database. A test
send's answer comes back on {p}:test:<token> (a list, LPUSHed once by the worker, gone after a minute). Redis
holds work in flight only: finished deliveries and events go to the history (PostgreSQL) through {p}:history.
"""

from __future__ import annotations

from collections.abc import Callable

from hooks.settings import Settings

EVENTS_QUEUE = "events"
DELIVERIES_QUEUE = "deliveries"
TESTS_QUEUE = "tests"  # "send a test event": one task per test, its answer on Keys.test_reply (hooks/api/ping.py)


class Keys:
    """Key builders bound to one settings prefix: fixed keys are strings, keys of an id are functions of it."""

    def __init__(self, settings: Settings) -> None:
        p = self.p = settings.key_prefix
        self.webhooks_all, self.breakers = f"{p}:wh:all", f"{p}:breakers"  # the registry, the open breakers
        self.fanout, self.ready, self.capped = f"{p}:fanout", f"{p}:ready", f"{p}:capped"  # work waiting for drains
        self.retry, self.leased, self.history = f"{p}:retry", f"{p}:leased", f"{p}:history"  # deliveries by state
        self.history_rejected = f"{p}:history:rejected"  # entries the database refused for their content
        self.ordered, self.held = f"{p}:ordered", f"{p}:held"  # ordered webhooks, and which of them a retry holds
        self.rates, self.capped_waker = f"{p}:rates", f"{p}:capped:waker"  # rated webhooks; the drain timing them
        self.rated_wait = f"{p}:rated_wait"  # rated webhooks out of tokens, by when the next is due (take.lua)
        self.drains, self.drains_idle, self.drains_wake = f"{p}:drains", f"{p}:drains:idle", f"{p}:drains:wake"
        self.drains_woken = f"{p}:drains:woken"  # a wake-up is on its way (kick.lua), until the next take
        self.deliveries_all, self.events_all = f"{p}:dl:all", f"{p}:ev:all"  # in flight, for listing
        # str.format of the full template: one call, no Python frame of our own
        self.webhook: Callable[[str], str] = f"{p}:wh:{{}}".format
        self.webhook_state: Callable[[str], str] = f"{p}:wh:state:{{}}".format
        self.oauth2_token: Callable[[str], str] = f"{p}:wh:oauth2:{{}}".format  # workers/attempt/oauth2.py
        self.exact: Callable[[str, str], str] = f"{p}:wh:stack:{{}}:exact:{{}}".format  # stack, channel
        self.wild_patterns: Callable[[str], str] = f"{p}:wh:stack:{{}}:wild".format  # stack
        self.wild: Callable[[str, str], str] = f"{p}:wh:stack:{{}}:wild:{{}}".format  # stack, pattern
        self.route: Callable[[str], str] = f"{p}:wh:stack:{{}}:route".format  # stack
        self.event: Callable[[str], str] = f"{p}:ev:{{}}".format
        self.idempotency: Callable[[str], str] = f"{p}:idem:{{}}".format
        self.erased: Callable[[str], str] = f"{p}:erased:{{}}".format  # hooks/deliveries/events.py erase_*
        self.delivery: Callable[[str], str] = f"{p}:dl:{{}}".format
        self.deliveries_by_webhook: Callable[[str], str] = f"{p}:dl:by_wh:{{}}".format
        self.deliveries_by_event: Callable[[str], str] = f"{p}:dl:by_ev:{{}}".format
        self.waiting: Callable[[str], str] = f"{p}:wh:waiting:{{}}".format
        self.inflight: Callable[[str], str] = f"{p}:inflight:{{}}".format
        self.ready_list: Callable[[str], str] = f"{p}:ready:{{}}".format
        self.bucket: Callable[[str], str] = f"{p}:bucket:{{}}".format  # a rated webhook's tokens
        self.test_reply: Callable[[str], str] = f"{p}:test:{{}}".format  # a test send's answer (hooks/api/ping.py)
