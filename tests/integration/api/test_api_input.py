"""Every request the API cannot read or must refuse is a 400, 404 or 422 problem naming the field, never a 500
(issue 20): times out of range, cursors not handed out, unreadable bodies, loose types, nesting, HEAD."""

from __future__ import annotations

import base64

import pytest

from hooks.errors import ValidationError
from hooks.models.event import MAX_DEPTH
from hooks.models.times import parse_time
from hooks.producer.publish import publish_event
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.integration.api.test_dashboard_session import login, token

HUGE = "9" * 23
WH = "wh_01J00000000000000000000000"


def nested(depth: int) -> dict:
    """`{"a": {"a": ... {}}}`, `depth` objects deep (the outer one counts)."""
    data: dict = {}
    for _ in range(depth - 1):
        data = {"a": data}
    return data


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


def test_data_nested_deeper_than_the_limit_is_refused_everywhere(api, settings, write_key):
    ok = api.post("/v1/events", json={"event_type": "a.b", "data": nested(MAX_DEPTH)})
    assert ok.status_code == 202 and api.get(f"/v1/events/{ok.json()['id']}").status_code == 200
    detail = problem_of(api.post("/v1/events", json={"event_type": "a.b", "data": nested(300)}), 422, "data")
    assert detail == f"data: nests deeper than {MAX_DEPTH} levels."
    summary = api.post("/v1/events", json={"event_type": "a.b", "data": {}, "summary": nested(MAX_DEPTH + 1)})
    problem_of(summary, 422, "summary")
    with pytest.raises(ValidationError, match=f"^data: nests deeper than {MAX_DEPTH} levels"):
        publish_event("a.b", nested(5000))
    deep = '{"a":' * 899 + "{}" + "}" * 899  # as deep as json.loads reads on this stack: a 422, never a 500
    headers = {"Content-Type": "application/json"}
    r = api.post("/v1/events", content='{"event_type": "a.b", "data": ' + deep + "}", headers=headers)
    problem_of(r, 422, "data")
    r = api.post(
        "/v1/webhooks", content='{"url": "http://x", "events": ["a"], "headers": ' + deep + "}", headers=headers
    )
    problem_of(r, 422, "headers")


def test_the_publish_form_notes_data_nested_too_deep(api, settings, write_key):
    login(api, write_key)
    csrf = token(api.get("/ui/publish").text)
    for depth in (MAX_DEPTH + 1, 1200, 20_000):
        text = '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)
        page = api.post("/ui/publish", data={"event_type": "a.b", "data": text, "csrf": csrf})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"data: nests deeper than {MAX_DEPTH} levels" in page.text


def test_an_event_stored_before_the_limit_reads_back(api, settings):
    """Events nested deeper than MAX_DEPTH were accepted before it: they read back as they were stored."""
    from hooks.models import event as model

    deep = nested(300)
    limit, model.MAX_DEPTH = model.MAX_DEPTH, 10_000  # as publish was before the limit
    try:
        event_id = publish_event("a.b", deep)
    finally:
        model.MAX_DEPTH = limit
    r = api.get(f"/v1/events/{event_id}")
    assert r.status_code == 200 and r.json()["body"]["data"] == deep
    too_deep = '{"data":' + '{"a":' * 5000 + "{}" + "}" * 5001  # what no stack parses
    get_redis(settings).hset(Keys(settings).event(event_id), "body", too_deep)
    detail = problem_of(api.get(f"/v1/events/{event_id}"), 422, "data")
    assert detail.startswith(f"data: the payload of {event_id} nests too deeply to read")


CURSORS = ["d2ViaG9va3N8bmFufHdoX3g", "webhooks|inf|wh_x", "webhooks|-inf|wh_x", "%%%", "x" * 600]


@pytest.mark.parametrize("raw", CURSORS, ids=["nan", "inf", "-inf", "not-base64", "too-long"])
def test_a_cursor_not_handed_out_is_a_400_naming_it(api, settings, write_key, raw):
    cursor = raw if "|" not in raw else base64.urlsafe_b64encode(raw.encode()).decode()
    for path in ("/v1/webhooks", "/v1/deliveries", "/v1/dlq", "/v1/events"):
        assert problem_of(api.get(path, params={"cursor": cursor}), 400, "cursor") == \
            "cursor: not a cursor this listing handed out."  # fmt: skip
    login(api, write_key)
    for path in ("/ui/webhooks", "/ui/dlq"):
        page = api.get(path, params={"cursor": cursor})
        assert page.status_code == 400 and "cursor: not a cursor this listing handed out." in page.text


@pytest.mark.parametrize(("body", "says"), [
    (b'{"url": ', "body: not valid JSON (line 1, column 9: Expecting value)."),
    (b'{"url": "a",\n "events": [}', "body: not valid JSON (line 2, column 13: Expecting value)."),
    (b'{"url": "\xff\xfe"}', "body: not valid UTF-8"),
    (b'{"retry": {"max_attempts": ' + b"9" * 5000 + b"}}", "body: a number has more than"),
    (b"[" * 5000 + b"]" * 5000, "body: nests too deeply to read"),
    (b'{"url": ' * 5000, "body: nests too deeply to read"),
], ids=["cut", "line-2", "utf-8", "5000-digits", "5000-brackets", "5000-objects"])  # fmt: skip
def test_a_body_that_cannot_be_read_is_a_400_naming_the_body(api, body, says):
    for path in ("/v1/webhooks", "/v1/events", "/v1/dlq/replay"):
        r = api.post(path, content=body, headers={"Content-Type": "application/json"})
        assert problem_of(r, 400, "body").startswith(says)


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"events": {"a": 1}}, "events", "events: must be a list of strings."),
    ({"events": ["a", 1]}, "events", "events: must be a list of strings."),
    ({"events": "a"}, "events", "events: must be a list of strings."),
    ({"enabled": "yes"}, "enabled", "enabled: must be true or false."),
    ({"concise": 1}, "concise", "concise: must be true or false."),
    ({"branches": "main"}, "branches", "branches: must be a list of strings."),
    ({"headers": {"X-A": 1}}, "headers", "headers: must be an object of strings."),
    ({"headers": ["X-A"]}, "headers", "headers: must be an object of strings."),
    ({"name": 5}, "name", "name: must be a string."),
    ({"retry_policy": "sometimes"}, "retry_policy", "retry_policy: must be 'auto' or 'manual'."),
    ({"retry": {"max_attempts": "3"}}, "retry.max_attempts", "retry.max_attempts: must be an integer."),
    ({"retry": {"base_s": "1"}}, "retry.base_s", "retry.base_s: must be a number."),
    ({"rate_limit_per_s": "20"}, "rate_limit_per_s", "rate_limit_per_s: must be a number."),
    ({"rate_limit_per_s": True}, "rate_limit_per_s", "rate_limit_per_s: must be a number."),
    ({"auth": {"type": "basic", "username": "u", "password": 1}}, "auth.password",
     "auth.password: must be a string."),
], ids=lambda v: v if isinstance(v, str) and " " not in v else None)  # fmt: skip
def test_a_value_of_the_wrong_type_is_a_422_not_coerced(api, receiver, fields, field, says):
    r = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"], **fields})
    assert problem_of(r, 422, field) == says
    wh = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"]}).json()
    assert problem_of(api.patch(f"/v1/webhooks/{wh['id']}", json=fields), 422, field) == says


def test_the_other_bodies_are_typed_too(api, receiver):
    wh = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"]}).json()
    cases = [
        ("/v1/dlq/replay", {"all": "yes"}, "all", "all: must be true or false."),
        ("/v1/dlq/purge", {"all": 1}, "all", "all: must be true or false."),
        ("/v1/dlq/replay", {"webhook_id": 5}, "webhook_id", "webhook_id: must be a string."),
        ("/v1/events", {"event_type": "a.b", "data": {}, "channels": "a.c"}, "channels",
         "channels: must be a list of strings."),
        ("/v1/events", {"event_type": 5, "data": {}}, "event_type", "event_type: must be a string."),
        ("/v1/events", {"event_type": "a.b", "data": []}, "data", "data: must be a JSON object."),
        (f"/v1/webhooks/{wh['id']}/rotate-secret", {"grace_s": "60"}, "grace_s", "grace_s: must be a number."),
        (f"/v1/webhooks/{wh['id']}/disable", {"reason": 5}, "reason", "reason: must be a string."),
        (f"/v1/webhooks/{wh['id']}/test", {"data": "x"}, "data", "data: must be a JSON object."),
    ]  # fmt: skip
    for path, body, field, says in cases:
        assert problem_of(api.post(path, json=body), 422, field) == says, path
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    assert schema["WebhookCreate"]["properties"]["enabled"]["type"] == "boolean"
    assert schema["WebhookCreate"]["properties"]["events"]["items"]["type"] == "string"
    assert schema["Many"]["properties"]["all"]["type"] == "boolean"


def test_a_bulk_replay_or_purge_of_an_unknown_webhook_is_a_404(api):
    for path in ("/v1/dlq/replay", "/v1/dlq/purge"):
        r = api.post(path, json={"webhook_id": WH})
        assert r.status_code == 404 and r.json()["field"] == "webhook_id", r.text


def test_head_answers_like_get_without_a_body(api, settings, write_key):
    for path in ("/healthz", "/v1/webhooks", "/openapi.json"):
        get, head = api.get(path), api.head(path)
        assert head.status_code == get.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
    login(api, write_key)
    get, head = api.get("/ui/"), api.head("/ui/")
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert api.head("/v1/webhooks/" + WH).status_code == 404
