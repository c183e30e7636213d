"""The chart's points (hooks.metrics.series): the bucket in progress has no spike just after its boundary."""

from __future__ import annotations

import fakeredis

from hooks.metrics.keys import FIVE_MIN_S, MetricKeys
from hooks.metrics.series import series
from hooks.settings import Settings

WH = "wh_x"


def test_one_delivery_just_after_a_boundary_is_not_a_spike():
    client, settings, boundary = fakeredis.FakeRedis(), Settings(), 1_796_000_100.0
    client.hset(MetricKeys(settings).five_min(WH, int(boundary // FIVE_MIN_S)), "d:delivered", 1)
    just_after = series(client, settings, WH, "1h", now_s=boundary + 0.2)[-1]
    assert just_after.seconds == 60 and just_after.per_second == 1 / 60
    later = series(client, settings, WH, "1h", now_s=boundary + 120)[-1]
    assert later.seconds == 120 and later.per_second == 1 / 120
    assert series(client, settings, WH, "1h", now_s=boundary + 120)[-2].seconds == FIVE_MIN_S
