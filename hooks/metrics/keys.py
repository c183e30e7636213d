"""The Redis keys of the metrics, under the settings' prefix (beside hooks/store/keys.py, which has the rest).

| key                              | type | holds                                                          |
|----------------------------------|------|----------------------------------------------------------------|
| {p}:metrics:all                  | hash | every webhook's counters added up (the fields below)           |
| {p}:metrics:wh:{webhook_id}      | hash | one webhook's counters since it was first counted, and its     |
|                                  |      | last error (`last_error`, `last_error_at`)                     |
| {p}:metrics:wh:{id}:5m:{n}       | hash | one webhook's counters in the 5-minute bucket n (unix s // 300)|
|                                  |      | (expires after 2 h: the 1 h window reads the last 13)          |
| {p}:metrics:wh:{id}:1h:{n}       | hash | the same per hour, n = unix s // 3600 (expires after 26 h)     |
| {p}:metrics:wh:all:5m:{n}, ...:1h:{n} | hash | the buckets of every webhook added up (`ALL`)             |
| {p}:metrics:activity             | zset | webhook id -> records counted: the most active are labelled    |

Counter fields: `d:<outcome>` finished deliveries (delivered, dead_lettered, failed); `a:<class>` attempts by
status class (2xx, 3xx, 4xx, 5xx, error); `l:<i>` attempts whose duration fell in bucket i of `BUCKETS_S`
(not cumulative), `l:sum_ms` their total duration.
"""

from __future__ import annotations

from collections.abc import Callable

from hooks.settings import Settings

# Upper bounds of the attempt duration histogram, in seconds (the last bucket, +Inf, is index len(BUCKETS_S)).
BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)
OUTCOMES = ("delivered", "dead_lettered", "failed")
CLASSES = ("2xx", "3xx", "4xx", "5xx", "error")
FIVE_MIN_S, HOUR_S = 300, 3600
ALL = "all"  # the pseudo webhook whose 5-minute and hourly buckets add every webhook up (ids start with wh_)
FIVE_MIN_TTL_S, HOUR_TTL_S = 2 * HOUR_S, 26 * HOUR_S


class MetricKeys:
    """Key builders of the metrics, bound to one settings prefix."""

    def __init__(self, settings: Settings) -> None:
        p = settings.key_prefix
        self.totals, self.activity = f"{p}:metrics:all", f"{p}:metrics:activity"
        self.webhook: Callable[[str], str] = f"{p}:metrics:wh:{{}}".format
        self.five_min: Callable[[str, int], str] = f"{p}:metrics:wh:{{}}:5m:{{}}".format  # webhook id, bucket
        self.hour: Callable[[str, int], str] = f"{p}:metrics:wh:{{}}:1h:{{}}".format  # webhook id, bucket
