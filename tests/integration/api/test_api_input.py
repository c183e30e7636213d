"""Every request the API cannot read or must refuse is a 400, 404 or 422 problem naming the field, never a 500
(issue 20): times out of range, cursors not handed out, unreadable bodies, loose types, nesting, HEAD."""

from __future__ import annotations

import pytest

from hooks.errors import ValidationError
from hooks.models.times import parse_time
from tests.integration.api.test_dashboard_session import login

HUGE = "9" * 23


def problem_of(r, status: int, field: str) -> str:
    """The detail of a problem answer, after checking its status, media type and field."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["field"] == field and body["detail"].startswith(f"{field}: ") and body["detail"].endswith(".")
    return body["detail"]


@pytest.mark.parametrize(
    "value",
    ["10000000d", HUGE, "9" * 400, "0001-01-01T00:00:00+01:00", "1e999"],
    ids=["age", "huge", "400-digits", "year-1", "1e999"],
)
def test_a_time_out_of_range_is_a_422_naming_it_on_every_route(api, value):
    for path in ("/v1/dlq", "/v1/deliveries"):
        problem_of(api.get(path, params={"since": value}), 422, "since")
    problem_of(api.get("/v1/deliveries", params={"until": value}), 422, "until")
    problem_of(api.post("/v1/dlq/replay", json={"all": True, "since": value}), 422, "since")
    with pytest.raises(ValidationError, match="^since: "):
        parse_time(value, field="since", unix=True)


def test_the_dashboards_log_filter_says_a_time_is_out_of_range(api, settings, write_key, receiver):
    wh = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"]}).json()
    login(api, write_key)
    page = api.get(f"/ui/webhooks/{wh['id']}", params={"since": "10000000d"})
    assert page.status_code == 200 and "since: " in page.text and "out of range" in page.text
