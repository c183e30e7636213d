"""`rate_limit_per_s` through every entry point: the Python API, `/v1/webhooks`, the CLI and the dashboard's edit
form, each validating it with one sentence naming the field, and each showing it."""

from __future__ import annotations

import pytest

import hooks
from hooks.cli import main
from hooks.errors import ValidationError
from hooks.store.connection import get_redis
from tests.integration.api.test_api_input import problem_of
from tests.integration.api.test_dashboard_session import login, token

RANGE = "rate_limit_per_s: must be a number of requests a second from 0.01 to 10,000 (or null for no limit)"


def test_the_python_api_keeps_the_rate_where_the_drains_read_it(settings):
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"], rate_limit_per_s=20)
    rates, p = get_redis().hgetall(f"{settings.key_prefix}:rates"), settings.key_prefix
    assert wh.rate_limit_per_s == 20.0 and rates == {wh.id.encode(): b"20.0"}
    for bad in (0, -1, 10_001, float("nan"), "20", True):
        with pytest.raises(ValidationError, match=r"^rate_limit_per_s: must be a number of requests a second"):
            hooks.update_webhook(wh.id, rate_limit_per_s=bad)
    assert hooks.update_webhook(wh.id, rate_limit_per_s=0.5).rate_limit_per_s == 0.5
    get_redis().zadd(f"{p}:rated_wait", {wh.id: 1e12})  # parked until its next token: a change makes it due now
    get_redis().hset(f"{p}:bucket:{wh.id}", mapping={"t": 0, "at": 0})
    assert hooks.update_webhook(wh.id, rate_limit_per_s=None).rate_limit_per_s is None
    assert get_redis().zscore(f"{p}:rated_wait", wh.id) == 0 and not get_redis().exists(f"{p}:bucket:{wh.id}")
    assert get_redis().hgetall(f"{p}:rates") == {}
    hooks.delete_webhook(hooks.create_webhook("http://127.0.0.1:9/y", ["e"], rate_limit_per_s=3).id)
    assert get_redis().hgetall(f"{p}:rates") == {}


def test_the_http_api_takes_shows_and_removes_it(api, receiver):
    r = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"], "rate_limit_per_s": 50})
    assert r.status_code == 201 and r.json()["rate_limit_per_s"] == 50.0
    wh = r.json()["id"]
    assert api.get(f"/v1/webhooks/{wh}").json()["rate_limit_per_s"] == 50.0
    assert api.patch(f"/v1/webhooks/{wh}", json={"rate_limit_per_s": 0.25}).json()["rate_limit_per_s"] == 0.25
    assert problem_of(api.patch(f"/v1/webhooks/{wh}", json={"rate_limit_per_s": 0}), 422,
                      "rate_limit_per_s").startswith(RANGE)  # fmt: skip
    assert api.patch(f"/v1/webhooks/{wh}", json={"rate_limit_per_s": None}).json()["rate_limit_per_s"] is None
    schema = api.get("/openapi.json").json()["components"]["schemas"]["WebhookUpdate"]["properties"]
    assert schema["rate_limit_per_s"]["anyOf"] == [{"type": "number"}, {"type": "null"}]


def test_the_cli_takes_shows_and_removes_it(settings, capsys):
    assert main(["webhook", "add", "--url", "http://127.0.0.1:9/x", "--event", "e", "--rate-limit", "20"]) == 0
    wh = hooks.list_webhooks()[0]
    assert wh.rate_limit_per_s == 20.0 and "rate limit" in capsys.readouterr().out
    assert main(["webhook", "show", wh.id]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "rate limit" in line][0].endswith("20/s")
    assert main(["webhook", "update", wh.id, "--rate-limit", "many"]) == 2
    assert capsys.readouterr().err.startswith("hooks: error: --rate-limit: expected requests a second as a number")
    assert main(["webhook", "update", wh.id, "--rate-limit", "0"]) == 2
    assert capsys.readouterr().err.startswith(f"hooks: error: {RANGE}")
    assert main(["webhook", "update", wh.id, "--rate-limit", "none"]) == 0
    assert hooks.get_webhook(wh.id).rate_limit_per_s is None


def test_the_dashboard_shows_it_and_its_edit_form_changes_it(api, settings, write_key):
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"], rate_limit_per_s=12.5)
    login(api, write_key)
    assert "12.5/s" in api.get(f"/ui/webhooks/{wh.id}").text
    form = api.get(f"/ui/webhooks/{wh.id}/edit").text
    assert 'name="rate_limit" value="12.5"' in form
    fields = {"csrf": token(form), "url": wh.url, "events": "e", "branches": "main", "retry_policy": "auto"}
    bad = api.post(f"/ui/webhooks/{wh.id}/edit", data={**fields, "rate_limit": "fast"})
    assert bad.status_code == 422 and "not saved: rate_limit_per_s: expected requests a second" in bad.text
    assert 'value="fast"' in bad.text and hooks.get_webhook(wh.id).rate_limit_per_s == 12.5
    api.post(f"/ui/webhooks/{wh.id}/edit", data={**fields, "rate_limit": "40"})
    assert hooks.get_webhook(wh.id).rate_limit_per_s == 40.0
    api.post(f"/ui/webhooks/{wh.id}/edit", data={**fields, "rate_limit": ""})
    assert hooks.get_webhook(wh.id).rate_limit_per_s is None
