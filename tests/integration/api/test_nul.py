"""A NUL character (PostgreSQL text cannot hold one) is refused where the request is read, as a 422 naming the
field, on the API (problem+json) and the dashboard (a page); a DataError from elsewhere is a 422 too, never a 500."""

from __future__ import annotations

import sqlalchemy.exc

from tests.integration.api.test_api_input import problem_of
from tests.integration.api.test_dashboard_session import login

SAYS = "must not contain a NUL character."


def test_a_nul_in_a_query_or_a_json_string_is_a_422_naming_the_field(api):
    assert problem_of(api.get("/v1/dlq", params={"webhook_id": "\x00"}), 422, "webhook_id") == f"webhook_id: {SAYS}"
    assert problem_of(api.post("/v1/dlq/replay", json={"webhook_id": "\x00"}), 422, "webhook_id") == \
        f"webhook_id: {SAYS}"  # fmt: skip
    problem_of(api.post("/v1/events", json={"type": "a", "data": {"x": [{"y": "a\x00"}]}}), 422, "data.x.y")
    problem_of(api.get("/v1/webhooks/wh_a%00b"), 422, "webhook_id")


def test_the_dashboard_answers_a_nul_with_a_page_naming_the_field(api, write_key):
    login(api, write_key)
    for path, field in (("/ui/search?q=a%00b", "q"), ("/ui/dlq?webhook_id=%00", "webhook_id")):
        page = api.get(path)
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html"), page.text
        assert f"{field}: {SAYS}" in page.text


def test_a_data_error_from_the_database_is_a_422_not_a_500(api, write_key, monkeypatch):
    def refuse(*args, **kwargs):
        raise sqlalchemy.exc.DataError("SELECT", {}, ValueError("a string literal cannot contain NUL (0x00)"))

    monkeypatch.setattr("hooks.api.v1.dlq.list_dead", refuse)
    problem_of(api.get("/v1/dlq"), 422, "request")
    login(api, write_key)
    monkeypatch.setattr("hooks.api.ui.routes.list_dead", refuse)
    page = api.get("/ui/dlq")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
