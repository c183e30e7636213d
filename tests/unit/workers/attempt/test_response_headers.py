"""An attempt keeps the endpoint's response headers bounded (20, names 100, values 200 characters) and redacted
(cookies, auth, tokens, keys, secrets), in the order received; they reach the attempt log and the history."""

from __future__ import annotations

import orjson

from hooks.models.delivery import Delivery
from hooks.registry.webhooks import _validate
from hooks.settings import Settings
from workers.attempt.attempt import Attempt, Decision
from workers.attempt.http import HttpResult
from workers.attempt.record import MAX_RESPONSE_HEADERS, record, response_headers


def head(*lines: str, status: str = "HTTP/1.1 200 OK") -> bytes:
    return "\r\n".join([status, *lines]).encode("latin-1")


def test_headers_are_kept_in_the_order_received_with_their_case_and_repeats():
    got = response_headers(head("Content-Type: application/json", "X-Request-Id:  r-1 ", "Vary: A", "Vary: B"))
    assert got == [["Content-Type", "application/json"], ["X-Request-Id", "r-1"], ["Vary", "A"], ["Vary", "B"]]


def test_credential_like_headers_are_redacted_by_name():
    names = ["Set-Cookie", "Set-Cookie", "Authorization", "WWW-Authenticate", "Proxy-Authenticate", "X-Api-Key",
             "X-Auth-Token", "X-Client-Secret", "x-csrf-token", "Cookie", "X-Session", "X-Password-Hint"]  # fmt: skip
    got = response_headers(head(*(f"{n}: value-{i}" for i, n in enumerate(names)), "Server: edge/1"))
    assert got == [*([n, "[redacted]"] for n in names), ["Server", "edge/1"]]


def test_at_most_twenty_headers_names_and_values_cut_with_an_ellipsis():
    got = response_headers(head(f"{'N' * 150}: {'v' * 300}", *(f"X-{i}: {i}" for i in range(40))))
    assert len(got) == MAX_RESPONSE_HEADERS == 20
    name, value = got[0]
    assert (len(name), len(value)) == (100, 200) and name.endswith("N…") and value.endswith("v…")
    assert [n for n, _ in got[1:]] == [f"X-{i}" for i in range(19)]
    assert response_headers(head(f"{'k' * 150}-Key: {'s' * 300}"))[0][1] == "[redacted]"  # judged by the full name


def test_no_answer_or_lines_that_are_not_headers_leave_nothing_behind():
    assert response_headers(b"") == []
    assert response_headers(head("no colon here", " folded: continuation", ": no name", "Ok: 1")) == [["Ok", "1"]]
    assert response_headers(head("X-Latin: caf\xe9")) == [["X-Latin", "café"]]  # bytes as HTTP/1.1 has them


def test_the_attempt_log_and_the_history_record_carry_them():
    webhook = _validate({"url": "https://hooks.example.test/in", "events": ["a.b"]})
    delivery = Delivery("msg_x_y", "evt_x", webhook.id, "pending", 0, 0, 1.0, 1.0)
    result = HttpResult(200, b"ok", None, "127.0.0.1", None, 3.0, head("Set-Cookie: s=1", "X-Trace: t"))
    out = record(Settings(), delivery, webhook, Attempt(result, Decision("delivered"), 1.0, {}))
    expected = [["Set-Cookie", "[redacted]"], ["X-Trace", "t"]]
    assert orjson.loads(out.fields["last_attempt"])["response_headers"] == expected
    assert out.history is not None and out.history["attempt"]["response_headers"] == expected
