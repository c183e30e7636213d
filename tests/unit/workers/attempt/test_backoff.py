"""The retry delay is a pure function: exponential, capped, jittered; Retry-After parsed both ways."""

from datetime import datetime, timezone

import pytest

from workers.attempt.backoff import compute_delay_s, parse_retry_after

DEFAULTS = {"base_s": 5, "factor": 5, "max_delay_s": 36000, "jitter": 0.2}


@pytest.mark.parametrize(
    ("attempt", "delay"), [(1, 5), (2, 25), (3, 125), (4, 625), (5, 3125), (6, 15625), (7, 36000), (8, 36000)]
)
def test_without_jitter_the_schedule_is_contentstacks_then_capped(attempt, delay):
    assert compute_delay_s(attempt, **{**DEFAULTS, "jitter": 0}) == delay


def test_the_default_nine_attempts_span_about_a_day():
    total = sum(compute_delay_s(n, **{**DEFAULTS, "jitter": 0}) for n in range(1, 9))
    assert 20 * 3600 < total < 36 * 3600


@pytest.mark.parametrize(("r", "factor"), [(0.0, 0.8), (0.5, 1.0), (1.0, 1.2)])
def test_jitter_stays_within_plus_or_minus_twenty_percent(r, factor):
    assert compute_delay_s(2, **DEFAULTS, rand=lambda: r) == pytest.approx(25 * factor)


def test_fractions_of_a_second_are_allowed():
    assert compute_delay_s(3, base_s=0.1, factor=2, max_delay_s=10, jitter=0) == pytest.approx(0.4)


def test_huge_attempt_numbers_do_not_overflow():
    assert compute_delay_s(10_000, **{**DEFAULTS, "jitter": 0}) == 36000


def test_attempt_zero_is_refused():
    with pytest.raises(ValueError):
        compute_delay_s(0, **DEFAULTS)


def test_retry_after_in_seconds():
    assert parse_retry_after("120") == 120


def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 28, 10, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Sat, 28 Nov 2026 10:01:30 GMT", now=now) == 90


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3"])
def test_a_missing_or_malformed_retry_after_is_ignored(value):
    assert parse_retry_after(value) is None
