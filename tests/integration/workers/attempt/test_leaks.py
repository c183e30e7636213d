"""Secrets stay secret: signing secrets, auth credentials, custom header values and signatures never show up in
logs, task messages, stored records (other than the webhook's own) or the command line's output.

Real worker and scheduler processes (a private cluster, so their log files can be read), deliveries that
succeed, fail with 500, hit a refused port and hit an address the guard blocks, so error paths log too.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

import hooks
import hooks.cli
from hooks.deliveries.dlq import list_dead
from hooks.history.connection import get_engine
from hooks.models.webhook import generate_signing_key
from hooks.settings import reset_settings
from hooks.store.connection import get_redis
from tests.conftest import wait_for

SECRET = "whsec_" + base64.b64encode(b"leak-test-signing-secret-0123456789").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"leak-test-rotated-secret-9876543210").decode()
SIGNING_KEY = generate_signing_key()
PASSWORD = "pw_SECRET_basic_4567"
BASIC = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
TOKEN = "tok_SECRET_bearer_7890"
API_KEY = "key_live_SECRET123"
QUERY_TOKEN = "qtok_in_url_55XYZ"  # a credential in the URL's query string
SECRETS = [SECRET, NEW_SECRET, SIGNING_KEY, PASSWORD, BASIC, TOKEN, API_KEY, QUERY_TOKEN]
# Parts that would give a secret away even when cut or encoded differently.
FRAGMENTS = [SECRET.removeprefix("whsec_")[:16], NEW_SECRET.removeprefix("whsec_")[:16],
             SIGNING_KEY.removeprefix("whsk_")[:16], "SECRET_"]  # fmt: skip


def _leaks(text: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n in text]


def _history_dump(settings: object) -> str:
    """Every row of the history's tables, as text."""
    with get_engine().connect() as conn:
        return "\n".join(str(row) for table in ("events", "deliveries", "attempts")
                         for row in conn.execute(text(f"SELECT * FROM {table}")))  # fmt: skip


def _redis_dump(client: redis.Redis, skip: set[str]) -> dict[str, str]:
    """Every key of the database and its whole value, as text (keys in `skip` left out)."""
    out: dict[str, str] = {}
    for raw_key in client.scan_iter(count=1000):
        key = raw_key.decode()
        if key in skip:
            continue
        kind = client.type(raw_key).decode()
        if kind == "string":
            value: object = client.get(raw_key)
        elif kind == "hash":
            value = client.hgetall(raw_key)
        elif kind == "list":
            value = client.lrange(raw_key, 0, -1)
        elif kind == "set":
            value = client.smembers(raw_key)
        elif kind == "zset":
            value = client.zrange(raw_key, 0, -1, withscores=True)
        elif kind == "stream":
            value = client.xrange(raw_key)
        elif kind == "none":  # expired or deleted since the scan saw it
            continue
        else:
            raise AssertionError(f"unexpected type {kind} of {key}")
        out[key] = repr(value) + _decoded(value)
    return out


def _decoded(value: object) -> str:
    """The bytes inside a value as text as well (so a secret split by repr's escaping is still found)."""
    parts: list[bytes] = []

    def walk(v: object) -> None:
        if isinstance(v, bytes):
            parts.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k), walk(x)
        elif isinstance(v, (list, tuple, set)):
            for x in v:
                walk(x)

    walk(value)
    return "\n".join(p.decode("utf-8", "replace") for p in parts)


def _queues(client: redis.Redis) -> list[str]:
    """The Celery task messages waiting, and those being worked on (kombu's `unacked` hash)."""
    return [m.decode() for m in client.lrange("deliveries", 0, -1) + client.lrange("events", 0, -1)] + [
        m.decode() for m in client.hvals("unacked")
    ]


class Gate:
    """An endpoint on 127.0.0.1 that holds each request until `open` is set (15 s at most), then answers 204."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.arrived: list[dict[str, str]] = []
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gate.arrived.append(dict(self.headers.items()))
                gate.open.wait(15)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.open.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    g = Gate()
    yield g
    g.close()


@pytest.mark.slow
def test_no_secret_reaches_logs_task_messages_redis_or_the_cli(make_cluster, receiver, gate, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    # Private networks refused except 127.0.0.1, so that 127.0.0.2 is blocked at attempt time.
    cluster = make_cluster(HOOKS_ALLOW_PRIVATE_NETWORKS="false", HOOKS_ALLOWED_NETWORKS="127.0.0.1/32",
                           HOOKS_MAX_ATTEMPTS="2")  # fmt: skip
    settings = cluster.settings
    client = get_redis(settings)
    receiver.script("/fail", [(500, 0, {})])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused_port = s.getsockname()[1]  # closed again: connections are refused

    common = {"headers": {"X-Api-Key": API_KEY}, "signing_key": SIGNING_KEY}
    ok = hooks.create_webhook(f"{gate.url}/ok?token={QUERY_TOKEN}", ["e"], secret=SECRET,
                              auth={"type": "basic", "username": "alice", "password": PASSWORD}, **common)  # fmt: skip
    ok = hooks.rotate_secret(ok.id, new_secret=NEW_SECRET)  # both secrets sign for a day
    failing = hooks.create_webhook(receiver.url + "/fail", ["e"], secret=SECRET,
                                   auth={"type": "bearer", "token": TOKEN}, **common)  # fmt: skip
    refused = hooks.create_webhook(f"http://127.0.0.1:{refused_port}/r?token={QUERY_TOKEN}", ["e"], secret=SECRET,
                                   auth={"type": "bearer", "token": TOKEN}, **common)  # fmt: skip
    reset_settings(settings.model_copy(update={"allow_private_networks": True}))
    try:  # registered while private networks were allowed: refused by the worker at attempt time
        blocked = hooks.create_webhook(f"http://127.0.0.2:{refused_port}/b?token={QUERY_TOKEN}", ["e"],
                                       secret=SECRET, auth={"type": "bearer", "token": TOKEN}, **common)  # fmt: skip
    finally:
        reset_settings(settings)
    webhooks = [ok, failing, refused, blocked]

    hooks.publish_event("e", {"n": 1})
    messages = _queues(client)  # the drain task kicked by the publish, before any worker runs
    cluster.worker(), cluster.scheduler()
    wait_for(lambda: gate.arrived, what="the request to the gate")
    messages += _queues(client)  # the worker is held mid-attempt: its drain task is in `unacked`
    gate.open.set()
    assert any('"workers.tasks.drain"' in m for m in messages), "saw a drain task message"

    def settled() -> bool:
        messages.extend(_queues(client))
        return len(hooks.list_deliveries(status="delivered")) == 1 and len(hooks.list_deliveries(status="failed")) == 3

    wait_for(settled, timeout_s=60, what="one delivered and three dead-lettered")
    wait_for(lambda: len(list_dead()) == 3, what="the history to have the dead-lettered deliveries")
    by_webhook = {d.webhook_id: hooks.get_delivery(d.id) for d in hooks.list_deliveries()}
    assert by_webhook[failing.id].reason == "attempts_exhausted"
    assert [a["error"] for a in by_webhook[refused.id].attempt_log] == ["connection_refused"] * 2
    assert [a["error"] for a in by_webhook[blocked.id].attempt_log] == ["blocked_address"]

    # What the receiver saw: the credentials and every signature, all of which must stay out of everything else.
    seen = gate.arrived + [r.headers for r in receiver.requests_to("/fail")]
    assert seen[0]["Authorization"] == f"Basic {BASIC}" and seen[0]["X-Api-Key"] == API_KEY
    assert seen[-1]["Authorization"] == f"Bearer {TOKEN}"
    signatures = [sig for headers in seen for sig in headers["webhook-signature"].split()]
    assert len(signatures) >= 4 and {s.split(",")[0] for s in signatures} == {"v1", "v1a"}
    needles = SECRETS + FRAGMENTS + signatures + [s.split(",", 1)[1] for s in signatures]

    # 1. task messages
    assert messages and not [m for m in messages if _leaks(m, needles)]
    # 2. Redis, every key of the cluster's database. The webhooks' own records ({prefix}:wh:{id}) necessarily
    #    hold their secrets, credentials and URL (the worker signs and authenticates with them): only those are
    #    left out.
    own_records = {f"{settings.key_prefix}:wh:{w.id}" for w in webhooks}
    dump = _redis_dump(client, skip=own_records)
    assert {k: _leaks(v, needles) for k, v in dump.items() if _leaks(v, needles)} == {}
    # 2b. the history in PostgreSQL, every row of every table as text (its attempts' redacted request headers)
    history = _history_dump(settings)
    assert "[redacted]" in history, "the attempt log keeps the header names, not their values"
    assert _leaks(history, needles) == []
    for key in own_records:  # the exception is what it claims to be: the webhook record, nothing else
        assert json.loads(client.get(key))["secret"] == (NEW_SECRET if key.endswith(ok.id) else SECRET)
    # 3. the command line's output
    before = capsys.readouterr()
    assert _leaks(before.out + before.err, needles) == []
    commands = [["webhook", "list"], ["webhook", "list", "--json"], ["deliveries"], ["deliveries", "--json"],
                ["dlq", "list"], ["dlq", "list", "--json"]]  # fmt: skip
    for w in webhooks:
        commands += [["webhook", "show", w.id], ["webhook", "show", w.id, "--json"]]
    for d in by_webhook.values():
        commands += [["delivery", "show", d.id], ["delivery", "show", d.id, "--json"]]
    for argv in commands:
        assert hooks.cli.main(argv) == 0, argv
        out = capsys.readouterr()
        # `webhook show` and `webhook list --json` print the URL as registered, query included (by design, for
        # whoever must fix or copy it); the table of `webhook list`, like everything else, shows it without
        text = out.out + out.err
        shows_url = argv[:2] == ["webhook", "show"] or argv == ["webhook", "list", "--json"]
        assert _leaks(text, [n for n in needles if n != QUERY_TOKEN or not shows_url]) == [], argv
    # 4. this process's logs, and the log files of every worker and scheduler of the session
    assert _leaks(caplog.text, needles) == []
    logs = sorted(Path(cluster.log_dir).glob("*.log"))
    assert cluster.logs("worker") and set(cluster.logs("worker")) <= set(logs)
    worker_log = "".join(p.read_text(errors="replace") for p in logs)
    assert "workers.tasks.deliver" in worker_log
    assert {p.name: _leaks(p.read_text(errors="replace"), needles) for p in logs
            if _leaks(p.read_text(errors="replace"), needles)} == {}  # fmt: skip
