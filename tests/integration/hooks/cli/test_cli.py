"""The `hooks` command, run in-process through `hooks.cli.main` (and once as a real process) against real Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from hooks import get_delivery, get_webhook, list_deliveries, list_webhooks, publish_event, update_webhook
from hooks.cli import main
from hooks.cli.output import iso, parse_time
from hooks.cli.webhooks import parse_headers
from hooks.errors import ValidationError
from hooks.local.servers import free_port
from hooks.settings import Settings, reset_settings
from tests.conftest import wait_for

SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="  # base64 of 32 bytes
TOKEN = "tok-9f8e7d6c5b4a39281706"
HEADER_VALUE = "key-1234567890abcdef"
QUERY_TOKEN = "Qt7-query-token-0123-wxyz"
URL = "http://127.0.0.1:9/hook"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def hooks(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `hooks ARGS...` in-process; returns its exit code and what it printed."""

    def run(*argv: str) -> Result:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def add(hooks: Any, *extra: str, url: str = URL, event: str = "entry.publish") -> dict[str, Any]:
    r = hooks("webhook", "add", "--url", url, "--event", event, "--json", *extra)
    assert r.code == 0, r.err
    return r.json()  # type: ignore[no-any-return]


# ---- webhook commands ------------------------------------------------------------------------------------


def test_add_json_is_one_object_with_id_and_the_secret(settings: Settings, hooks: Any) -> None:
    data = add(hooks, "--event", "entry.*", "--stack", "blog", "--branch", "main", "--branch", "dev", "--name", "n1")
    assert data["id"].startswith("wh_")
    assert data["secret"].startswith("whsec_") and "…" not in data["secret"]
    assert data["events"] == ["entry.publish", "entry.*"]
    assert data["branches"] == ["main", "dev"] and data["stack"] == "blog" and data["name"] == "n1"
    stored = get_webhook(data["id"])
    assert stored.secret == data["secret"]


def test_add_human_output_shows_the_secret_once(settings: Settings, hooks: Any) -> None:
    r = hooks("webhook", "add", "--url", URL, "--event", "entry.publish", "--secret", SECRET, "--concise")
    assert r.code == 0 and r.err == ""
    assert SECRET in r.out and "shown only now" in r.out
    (webhook,) = list_webhooks()
    assert webhook.id in r.out and webhook.concise and webhook.secret == SECRET


def test_list_table_json_and_stack_filter(settings: Settings, hooks: Any) -> None:
    a = add(hooks, "--stack", "blog", "--name", "first")
    b = add(hooks, "--stack", "shop", "--name", "second", "--event", "order.#")
    r = hooks("webhook", "list")
    assert r.code == 0
    header, *rows = r.out.splitlines()
    assert header.split() == ["ID", "NAME", "STACK", "EVENTS", "BRANCHES", "ENABLED", "URL"]
    assert [row.split()[0] for row in rows] == [a["id"], b["id"]]  # oldest first
    listed = hooks("webhook", "list", "--json").json()
    assert [w["id"] for w in listed] == [a["id"], b["id"]]
    assert [w["id"] for w in hooks("webhook", "list", "--stack", "shop", "--json").json()] == [b["id"]]
    assert hooks("webhook", "list", "--stack", "none").out.strip() == "no webhooks."


def test_show_has_health_and_masks_the_secret(settings: Settings, hooks: Any) -> None:
    wh = add(hooks)
    shown = hooks("webhook", "show", wh["id"], "--json").json()
    assert shown["health"]["state"] == "closed" and shown["health"]["consecutive_failures"] == 0
    assert shown["secret"] != wh["secret"] and shown["secret"].startswith("whsec_")
    assert shown["disabled_reason"] is None and shown["disabled_at"] is None
    human = hooks("webhook", "show", wh["id"])
    assert "breaker:" in human.out and "closed" in human.out and wh["secret"] not in human.out
    revealed = hooks("webhook", "show", wh["id"], "--show-secret", "--json").json()
    assert revealed["secret"] == wh["secret"]
    assert wh["secret"] in hooks("webhook", "show", wh["id"], "--show-secret").out


def test_secrets_tokens_and_header_values_never_printed_unless_asked(settings: Settings, hooks: Any) -> None:
    bearer = add(hooks, "--secret", SECRET, "--bearer", TOKEN, "--header", f"X-Api-Key: {HEADER_VALUE}",
                 url=f"{URL}?token={QUERY_TOKEN}&v=2")  # fmt: skip
    basic = add(hooks, "--basic-auth", f"alice:{TOKEN}-pw")
    outputs = [hooks("webhook", "list").out, hooks("webhook", "list", "--json").out]
    for wh in (bearer, basic):
        outputs += [hooks("webhook", "show", wh["id"]).out, hooks("webhook", "show", wh["id"], "--json").out]
        outputs.append(hooks("webhook", "update", wh["id"], "--name", "renamed").out)
        outputs.append(hooks("webhook", "update", wh["id"], "--description", "d", "--json").out)
    for text in outputs:
        assert SECRET not in text and TOKEN not in text and HEADER_VALUE not in text and QUERY_TOKEN[:5] not in text
        assert basic["secret"] not in text
    shown = hooks("webhook", "show", bearer["id"], "--json").json()
    assert shown["auth"] == {"type": "bearer", "token": "…1706"} and shown["headers"] == {"X-Api-Key": "…cdef"}
    assert shown["url"] == f"{URL}?token=…wxyz&v=…" and shown["secret"] == "whsec_…ZWY="
    revealed = hooks("webhook", "show", bearer["id"], "--json", "--show-secret").json()
    assert revealed["auth"]["token"] == TOKEN and revealed["headers"] == {"X-Api-Key": HEADER_VALUE}


def test_update_changes_only_what_is_given(settings: Settings, hooks: Any) -> None:
    wh = add(hooks, "--concise", "--bearer", TOKEN, "--header", "X-A: 1")
    update_webhook(wh["id"], retry={"base_s": 3.0})
    r = hooks("webhook", "update", wh["id"], "--event", "asset.#", "--event", "entry.delete", "--max-attempts", "3",
              "--manual-retry", "--no-concise", "--no-auth", "--header", "X-B: two", "--json")  # fmt: skip
    assert r.code == 0, r.err
    new = get_webhook(wh["id"])
    assert new.events == ["asset.#", "entry.delete"] and new.headers == {"X-B": "two"}
    assert new.retry.max_attempts == 3 and new.retry.base_s == 3.0  # the other override is kept
    assert new.retry_policy == "manual" and not new.concise and new.auth is None
    assert new.secret == wh["secret"] and new.url == URL and new.stack == "default"
    assert r.json()["id"] == wh["id"]
    assert hooks("webhook", "update", wh["id"], "--no-manual-retry").code == 0
    assert get_webhook(wh["id"]).retry_policy == "auto"
    nothing = hooks("webhook", "update", wh["id"])
    assert nothing.code == 2 and "nothing to change" in nothing.err


def test_update_with_bad_input_changes_nothing(settings: Settings, hooks: Any) -> None:
    wh = add(hooks)
    r = hooks("webhook", "update", wh["id"], "--name", "new", "--url", "ftp://example.com/x")
    assert r.code == 2 and r.err.startswith("hooks: error: url:")
    assert get_webhook(wh["id"]).name == URL


def test_remove_then_show_is_not_found(settings: Settings, hooks: Any) -> None:
    wh = add(hooks)
    r = hooks("webhook", "remove", wh["id"])
    assert r.code == 0 and wh["id"] in r.out
    assert list_webhooks() == []
    gone = hooks("webhook", "show", wh["id"])
    assert gone.code == 1 and gone.out == ""
    assert gone.err == f"hooks: error: webhook {wh['id']} does not exist.\n"
    assert hooks("webhook", "remove", wh["id"]).code == 1


def test_disable_with_reason_then_enable(settings: Settings, hooks: Any) -> None:
    wh = add(hooks)
    assert hooks("webhook", "disable", wh["id"], "--reason", "maintenance window").code == 0
    shown = hooks("webhook", "show", wh["id"], "--json").json()
    assert shown["enabled"] is False and shown["disabled_reason"] == "maintenance window"
    assert shown["disabled_at"].endswith("Z")
    assert "maintenance window" in hooks("webhook", "show", wh["id"]).out
    assert "no" in hooks("webhook", "list").out.splitlines()[1].split()
    assert hooks("webhook", "enable", wh["id"]).code == 0
    shown = hooks("webhook", "show", wh["id"], "--json").json()
    assert shown["enabled"] is True and shown["disabled_reason"] is None and shown["disabled_at"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--url", "ftp://example.com/hook", "--event", "entry.publish"], "hooks: error: url: scheme must be"),
        (["--url", URL, "--event", "a..b"], "hooks: error: events: 'a..b' is not a valid pattern"),
        (["--url", URL, "--event", "e.x", "--header", "NoColonHere"], "hooks: error: --header: #1 is not of the form"),
        (["--url", URL, "--event", "e.x", "--header", ": value"], "hooks: error: --header:"),
        (["--url", URL, "--event", "e.x", "--header", "Authorization: x"], "hooks: error: headers: Authorization"),
        (["--url", URL, "--event", "e.x", "--basic-auth", "nocolon"], "hooks: error: --basic-auth:"),
        (["--url", URL, "--event", "e.x", "--max-attempts", "0"], "hooks: error: retry.max_attempts:"),
        (["--url", URL, "--event", "e.x", "--secret", "nope"], "hooks: error: secret:"),
        (["--url", URL, "--event", "e.x", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--url", URL, "--event", "e.x", "--max-attempts", "many"], "argument --max-attempts: invalid int value"),
        (["--url", URL, "--event", "e.x", "--bearer", "t", "--basic-auth", "u:p"], "not allowed with argument"),
        (["--url", URL], "the following arguments are required: --event"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(settings: Settings, hooks: Any, extra: list[str], message: str) -> None:
    r = hooks("webhook", "add", *extra)
    assert r.code == 2
    assert message in r.err and r.out == ""
    assert "Traceback" not in r.err
    assert list_webhooks() == []
    assert hooks("webhook", "list", "--json").json() == []


def test_bad_header_does_not_echo_its_value(settings: Settings, hooks: Any) -> None:
    r = hooks("webhook", "add", "--url", URL, "--event", "e.x", "--header", f"X-Key{HEADER_VALUE}")
    assert r.code == 2 and HEADER_VALUE not in r.err


def test_unknown_ids_exit_1(settings: Settings, hooks: Any) -> None:
    for argv in (["webhook", "show", "wh_01JAAAAAAAAAAAAAAAAAAAAAAA"], ["webhook", "enable", "nope"],
                 ["delivery", "show", "msg_01JAAAAAAAAAAAAAAAAAAAAAAA_01JBBBBBBBBBBBBBBBBBBBBBBB"],
                 ["delivery", "retry", "bogus"], ["dlq", "show", "bogus"]):  # fmt: skip
        r = hooks(*argv)
        assert r.code == 1, argv
        assert r.err.startswith("hooks: error: ") and r.err.count("\n") == 1 and "does not exist" in r.err


def test_help_exits_0(settings: Settings, hooks: Any) -> None:
    r = hooks("--help")
    assert r.code == 0 and "webhook" in r.out and "dlq" in r.out
    assert hooks().code == 2  # no command at all is a usage error


def test_redis_unreachable_is_one_line_exit_2(settings: Settings, hooks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    reset_settings(Settings.from_env())
    for argv in (["webhook", "list"], ["webhook", "add", "--url", URL, "--event", "e.x"], ["deliveries"]):
        r = hooks(*argv)
        assert r.code == 2 and r.out == ""
        assert r.err.startswith("hooks: error: cannot reach Redis at redis://***@127.0.0.1:")
        assert r.err.count("\n") == 1 and "Traceback" not in r.err and "hunter2" not in r.err


# ---- deliveries ------------------------------------------------------------------------------------------


def test_deliveries_and_delivery_show_after_a_real_delivery(
    settings: Settings, hooks: Any, receiver: Any, worker: object
) -> None:
    wh = add(hooks, url=receiver.url + "/ok")
    event_id = publish_event("entry.publish", {"uid": "blt1"})
    wait_for(lambda: list_deliveries(status="delivered"), what="the delivery to be recorded as delivered")
    assert len(receiver.requests_to("/ok")) == 1
    # this webhook's: a delivery of an earlier test of the session's worker may reach the history after its clean-up
    (listed,) = [d for d in hooks("deliveries", "--json").json()["items"] if d["webhook_id"] == wh["id"]]
    assert listed["status"] == "delivered" and listed["attempts"] == 1 and listed["event_id"] == event_id
    assert listed["webhook_id"] == wh["id"] and listed["created_at"].endswith("Z") and "attempt_log" not in listed
    table = hooks("deliveries", "--webhook", wh["id"], "--status", "delivered")
    assert listed["id"] in table.out and "204" in table.out
    assert hooks("deliveries", "--event", event_id, "--json").json()["items"][0]["id"] == listed["id"]
    assert hooks("deliveries", "--status", "failed").out.strip() == "no deliveries."
    assert hooks("deliveries", "--status", "lost").code == 2  # argparse choices
    shown = hooks("delivery", "show", listed["id"])
    assert shown.code == 0 and "delivered" in shown.out
    attempt_row = next(line for line in shown.out.splitlines() if line.startswith("1 ")).split()
    assert "response headers of attempt 1:" in shown.out and "  Content-Length: 0" in shown.out
    assert attempt_row[0] == "1" and attempt_row[1].endswith("Z") and attempt_row[3:6] == ["204", "no", "delivered"]
    data = hooks("delivery", "show", listed["id"], "--json").json()
    (attempt,) = data["attempt_log"]
    assert attempt["status_code"] == 204 and attempt["replay"] is False and attempt["started_at"].endswith("Z")
    assert get_delivery(listed["id"]).status == "delivered"


# ---- the installed entry point ---------------------------------------------------------------------------


def test_entry_point_runs_as_a_process(settings: Settings, hooks_env: dict[str, str]) -> None:
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hooks.cli", *argv], env=hooks_env, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip

    added = run("webhook", "add", "--url", URL, "--event", "entry.publish", "--json")
    assert added.returncode == 0, added.stderr
    created = json.loads(added.stdout)
    assert created["secret"].startswith("whsec_")
    listed = run("webhook", "list", "--json")
    assert listed.returncode == 0 and [w["id"] for w in json.loads(listed.stdout)] == [created["id"]]
    assert created["secret"] not in listed.stdout
    bad = run("webhook", "add", "--url", URL, "--event", "a..b")
    assert bad.returncode == 2 and bad.stderr.startswith("hooks: error: events:") and "Traceback" not in bad.stderr
    assert [w.id for w in list_webhooks()] == [created["id"]]


# ---- helpers ---------------------------------------------------------------------------------------------


def test_parse_time_reads_iso_and_ages() -> None:
    assert parse_time("2026-11-28T10:00:00Z") == 1795860000.0
    assert parse_time("2026-11-28T10:00:00") == 1795860000.0  # no offset: UTC
    assert parse_time("2026-11-28T11:00:00+01:00") == 1795860000.0
    assert parse_time("30m", now=10_000.0) == 8_200.0
    assert parse_time("2h", now=10_000.0) == 2_800.0
    assert parse_time("7d", now=1e6) == 1e6 - 7 * 86400
    for bad in ("yesterday", "30x", "", "-5m"):
        with pytest.raises(ValidationError, match="--since"):
            parse_time(bad, field="--since")
    assert iso(1795860000.0) == "2026-11-28T10:00:00.000Z" and iso(None) is None


def test_parse_headers_splits_on_the_first_colon() -> None:
    assert parse_headers(["X-A: b:c ", "X-Empty:"]) == {"X-A": "b:c", "X-Empty": ""}
    with pytest.raises(ValidationError, match="given twice"):
        parse_headers(["X-A: 1", "x-a: 2"])
