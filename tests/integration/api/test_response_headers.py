"""Each attempt keeps the endpoint's response headers, bounded and redacted: a real worker delivers to a real
receiver that answers custom headers, and `/v1/deliveries/{id}`, `/v1/dlq/{id}` and `hooks delivery show` show
them while the delivery is in Redis and again once only the history (PostgreSQL) has it."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

import hooks
from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.cli import main
from hooks.errors import NotFoundError
from hooks.history import get_delivery as history_delivery
from hooks.history.connection import get_engine
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import wait_for

SECRET_COOKIE = "sid=s3cret-session-value"
ANSWER = [("X-Request-Id", "req-42"), ("Set-Cookie", SECRET_COOKIE + "; HttpOnly"), ("Set-Cookie", "theme=dark"),
          ("X-Api-Key", "k-live-123"), ("X-Long", "v" * 300)]  # fmt: skip
# what the attempt log keeps of ANSWER (the receiver adds Server, Date and Content-Length around it)
KEPT = [["X-Request-Id", "req-42"], ["Set-Cookie", "[redacted]"], ["Set-Cookie", "[redacted]"],
        ["X-Api-Key", "[redacted]"], ["X-Long", "v" * 199 + "…"]]  # fmt: skip
OURS = {name for name, _ in ANSWER}


def ours(attempt: dict[str, Any]) -> list[list[str]]:
    """The attempt's response headers that the receiver was told to send, in the order kept."""
    kept = attempt["response_headers"]
    assert [name for name, _ in kept][:2] == ["Server", "Date"] and kept[-1] == ["Content-Length", "2"]
    return [pair for pair in kept if pair[0] in OURS]


def shown(api: TestClient, ok_id: str, dead_id: str) -> None:
    """Both deliveries' attempts carry the kept headers, in the API's answers and the CLI's text, no secret."""
    for path in (f"/v1/deliveries/{ok_id}", f"/v1/deliveries/{dead_id}", f"/v1/dlq/{dead_id}"):
        r = api.get(path)
        assert r.status_code == 200, r.text
        (attempt,) = r.json()["attempt_log"]
        assert ours(attempt) == KEPT, path
        assert "s3cret" not in r.text and "k-live" not in r.text


def cli_show(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out and "k-live" not in out
    return out


def test_each_attempt_keeps_the_response_headers_in_redis_then_in_the_history(make_cluster, receiver,
                                                                              capsys) -> None:  # fmt: skip
    cluster = make_cluster(archiver=False)  # in flight: only Redis has the attempts
    cluster.worker(concurrency=2)
    receiver.script("/ok", [(200, 0.0, ANSWER)])
    receiver.script("/dead", [(500, 0.0, ANSWER)])
    ok = hooks.create_webhook(receiver.url + "/ok", ["resp.#"])
    dead = hooks.create_webhook(receiver.url + "/dead", ["resp.#"], retry_policy="manual")
    hooks.publish_event("resp.entry.publish", {"n": 1})
    wait_for(lambda: len(finished()) == 2, 30, what="both deliveries to finish")
    ok_id, dead_id = finished()[ok.id], finished()[dead.id]
    engine = get_engine(cluster.settings)  # type: ignore[attr-defined]
    with pytest.raises(NotFoundError):
        history_delivery(engine, ok_id)
    with TestClient(create_app(cluster.settings), headers={"Authorization": f"Bearer {create_key('t')[1]}"}) as api:  # type: ignore[attr-defined]
        shown(api, ok_id, dead_id)
        cluster.archiver()
        for delivery_id in (ok_id, dead_id):
            wait_for(partial(_archived, engine, delivery_id), 30, what="the archiver to store the attempt")
            get_redis().delete(Keys(cluster.settings).delivery(delivery_id))  # type: ignore[attr-defined]  # as its TTL would
        shown(api, ok_id, dead_id)  # from PostgreSQL alone
    out = cli_show(capsys, "delivery", "show", ok_id)
    assert "response headers of attempt 1:\n  Server: " in out
    assert "  X-Request-Id: req-42\n  Set-Cookie: [redacted]\n  Set-Cookie: [redacted]\n  X-Api-Key: [redacted]" in out
    assert f"  X-Long: {'v' * 199}…\n" in out
    assert "  Set-Cookie: [redacted]" in cli_show(capsys, "dlq", "show", dead_id)
    assert cli_show(capsys, "delivery", "show", ok_id, "--json").count('"[redacted]"') >= 3


def finished() -> dict[str, str]:
    """The finished deliveries' ids, by webhook."""
    return {d.webhook_id: d.id for status in ("delivered", "failed") for d in hooks.list_deliveries(status=status)}


def _archived(engine: Any, delivery_id: str) -> bool:
    try:
        (attempt,) = history_delivery(engine, delivery_id).attempts
    except NotFoundError:
        return False
    return ours(attempt.to_dict()) == KEPT
