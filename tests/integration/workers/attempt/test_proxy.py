"""The egress proxy (HOOKS_EGRESS_PROXY_URL, workers/attempt/proxy.py) against a real squid on 127.0.0.1: http and
https endpoints reached through its tunnels to the checked address (its access log shows each CONNECT), NO_PROXY
going direct, the SSRF guard deciding before the proxy hears of anything, the proxy's own failures as
`proxy_error`, and a worker process whose proxy refuses an endpoint without charging the endpoint's breaker or
spending the delivery's attempts (delivered once the proxy lets it through).

DNS is stubbed (names end in .test) and every connection the attempt opens is recorded: only 127.0.0.1.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hooks
import workers.attempt.http
import workers.attempt.wire
from hooks.api.ping import send_test
from hooks.doctor import egress_findings
from hooks.local.receiver import Receiver
from hooks.registry.health import state as breaker_state
from hooks.settings import Settings
from hooks.store.connection import get_redis
from tests.conftest import every, wait_for
from tests.support.nginx import Nginx
from tests.support.squid import Squid
from workers.attempt.http import post
from workers.attempt.proxy import endpoint_failure

trustme = pytest.importorskip("trustme")

USER, PASSWORD = "hooks", "p@ss:w/rd-0123456789"  # characters a URL must percent-encode
BODY = b'{"hello":"proxy"}'


@pytest.fixture(scope="module")
def squid() -> Iterator[Squid]:
    with Squid(USER, PASSWORD) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def https_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Nginx, Path]]:
    """nginx answering 204 over TLS with a certificate for hook.test from a private CA; and that CA's file."""
    root = tmp_path_factory.mktemp("tls-endpoint")
    ca = trustme.CA()
    cert = ca.issue_cert("hook.test")
    cert.private_key_and_cert_chain_pem.write_to_path(str(root / "hook.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    server = f"server {{ listen 127.0.0.1:{{port}} ssl; ssl_certificate {root}/hook.pem; " \
             f"ssl_certificate_key {root}/hook.pem; location / {{ return 204; }} }}"  # fmt: skip
    with Nginx(root / "nginx", server) as nginx:
        yield nginx, root / "ca.pem"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Receiver]:
    """A recording http endpoint shared by the module's in-process tests (each uses paths of its own)."""
    rcv = Receiver().start()
    yield rcv
    rcv.stop()


@pytest.fixture(autouse=True)
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Every connection the attempt opens (only 127.0.0.1 allowed), on fresh per-thread connections."""
    real = workers.attempt.wire.create_connection
    seen: list[tuple[str, int]] = []

    def guarded(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        seen.append((address[0], address[1]))
        assert address[0] == "127.0.0.1", f"the attempt tried to connect to {address}"
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workers.attempt.wire, "create_connection", guarded)
    monkeypatch.setattr(workers.attempt.http, "_local", threading.local())
    yield seen
    hang_up()


def hang_up() -> None:
    """Close this thread's kept connections (squid logs a CONNECT when its tunnel closes)."""
    for conn in getattr(workers.attempt.http._local, "conns", {}).values():
        conn.close()


def resolve_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def resolve(host: str, port: int) -> list[str]:
        assert host.endswith(".test"), host
        return [address]

    monkeypatch.setattr(workers.attempt.http, "resolver", resolve)


def through(settings: Settings, squid: Squid, **update: object) -> Settings:
    return settings.model_copy(update={"egress_proxy_url": squid.url, **update})


def connects(squid: Squid, port: int) -> list[str]:
    return [line for line in squid.access_log() if f"CONNECT 127.0.0.1:{port} " in line]


def test_http_and_https_endpoints_are_reached_through_squid_tunnels_to_the_checked_address(
    settings, squid, https_endpoint, endpoint, monkeypatch, opened
):
    nginx, ca_file = https_endpoint
    resolve_to(monkeypatch, "127.0.0.1")
    s = through(settings, squid, ca_bundle=str(ca_file))
    http_port = endpoint.server.server_address[1]

    plain = [post(f"http://hook.test:{http_port}/plain", BODY, {}, s) for _ in range(2)]
    secure = [post(f"https://hook.test:{nginx.port}/secure", BODY, {}, s) for _ in range(2)]
    assert [(r.status, r.error, r.address) for r in plain + secure] == [(204, None, "127.0.0.1")] * 4
    assert opened == [("127.0.0.1", squid.port)] * 2, "one tunnel per endpoint, kept alive; never direct"
    (req, _) = endpoint.requests_to("/plain")
    assert req.headers["Host"] == f"hook.test:{http_port}" and req.body == BODY
    assert "Proxy-Authorization" not in req.headers, "the proxy's credentials stay with the proxy"
    # TLS checked against hook.test; nginx logs a request just after answering it
    wait_for(lambda: nginx.access_log().count('"POST /secure HTTP/1.1" 204') == 2, 10, what="nginx's log")

    hang_up()
    for port in (http_port, nginx.port):
        (line,) = wait_for(lambda p=port: connects(squid, p), 10, what="squid to log the tunnel")  # type: ignore[misc]
        assert "TCP_TUNNEL/200" in line and f" {USER} " in line


def test_no_proxy_names_and_networks_go_direct(settings, squid, endpoint, monkeypatch, opened):
    resolve_to(monkeypatch, "127.0.0.1")
    port = endpoint.server.server_address[1]
    before = len(squid.access_log())
    for no_proxy in ("hook.test", ".test", "127.0.0.0/8", "*"):
        result = post(f"http://api.hook.test:{port}/direct", BODY, {}, through(settings, squid,
                                                                             egress_no_proxy=no_proxy))  # fmt: skip
        assert result.status == 204, no_proxy
    assert set(opened) == {("127.0.0.1", port)}
    hang_up()
    assert squid.access_log()[before:] == [], "squid saw none of them"


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.1", "127.0.0.1"])
def test_a_blocked_address_is_refused_before_the_proxy_hears_of_it(settings, squid, monkeypatch, opened, address):
    resolve_to(monkeypatch, address)
    denying = through(settings, squid, allow_private_networks=False)
    result = post("http://metadata.test/latest", BODY, {}, denying)
    assert (result.error, result.address) == ("blocked_address", address)
    assert opened == [], "not even a connection to the proxy"


@pytest.fixture
def silent_proxy() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung proxy)."""
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


def test_the_proxys_failures_are_proxy_errors_and_never_show_its_password(
    settings, squid, endpoint, silent_proxy, caplog
):
    port = endpoint.server.server_address[1]
    url = f"http://127.0.0.1:{port}/never"
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    cases = {
        "a wrong password (407)": (squid.url.replace("p%40ss", "wrong"), url),
        "a port squid refuses (403)": (squid.url, f"http://127.0.0.1:{squid.denied_port}/x"),
        "nothing listening": (squid.url.replace(f":{squid.port}", f":{closed_port}"), url),
        "a proxy that never answers": (f"http://127.0.0.1:{silent_proxy}", url),
    }
    caplog.set_level(logging.WARNING, "workers.attempt.proxy")
    short = settings.model_copy(update={"request_timeout_s": 0.3})
    for case, (proxy_url, target) in cases.items():
        result = post(target, BODY, {}, short.model_copy(update={"egress_proxy_url": proxy_url}))
        assert (result.status, result.error) == (None, "proxy_error"), case
    assert endpoint.requests_to("/never") == []
    logged = caplog.text
    assert "with 407" in logged and "with 403" in logged and "ConnectionRefusedError" in logged
    assert PASSWORD not in logged and "p%40ss" not in logged


def test_an_endpoint_the_proxy_cannot_reach_is_the_endpoints_failure_not_the_proxys(settings, squid, caplog):
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    caplog.set_level(logging.WARNING, "workers.attempt.proxy")
    result = post(f"http://127.0.0.1:{closed_port}/down", BODY, {}, through(settings, squid))
    assert (result.status, result.error) == (None, "connection_refused")  # squid: 503, ERR_CONNECT_FAIL 111
    assert "proxy_error" not in caplog.text
    assert [endpoint_failure(s, h) for s, h in ((502, b""), (504, b""), (503, b""), (403, b""),
            (503, b"HTTP/1.1 503 x\r\nX-Squid-Error: ERR_CONNECT_FAIL 110"))] == [
        "connection_error", "connect_timeout", None, None, "connection_error"]  # fmt: skip


def test_settings_refuse_a_bad_proxy_url_in_one_sentence_without_repeating_it():
    from hooks.errors import ConfigurationError

    for bad in ("https://u:secretpw@proxy:3128", "http://u:secretpw@proxy", "socks5://proxy:1080", "http://:99999"):
        with pytest.raises(ConfigurationError) as error:
            Settings.from_env({"HOOKS_EGRESS_PROXY_URL": bad})
        assert str(error.value).startswith("HOOKS_EGRESS_PROXY_URL: ") and "secretpw" not in str(error.value)
    with pytest.raises(ConfigurationError, match="^HOOKS_EGRESS_NO_PROXY: 'bad!name' is not"):
        Settings.from_env({"HOOKS_EGRESS_NO_PROXY": "ok.test, 10.0.0.0/8, bad!name"})
    quiet = Settings.from_env({"HOOKS_EGRESS_PROXY_URL": "http://u:averylongproxypassword1234@proxy:3128"})
    assert "averylong" not in repr(quiet) and "averylong" not in str(quiet.model_dump(exclude={"egress_proxy_url"}))


def test_doctor_shows_the_proxy_with_its_password_masked_and_says_when_it_is_down(settings, squid):
    (up,) = egress_findings(through(settings, squid, egress_no_proxy="10.0.0.0/8"))
    assert (up.level, up.text) == ("ok", f"attempts leave through the egress proxy http://{USER}:…6789@127.0.0.1:"
                                         f"{squid.port}; direct: 10.0.0.0/8.")  # fmt: skip
    closed = socket.create_server(("127.0.0.1", 0))
    down_url = squid.url.replace(str(squid.port), str(closed.getsockname()[1]))
    closed.close()
    (down,) = egress_findings(settings.model_copy(update={"egress_proxy_url": down_url}))
    assert down.level == "FAIL" and "ConnectionRefusedError" in down.text and PASSWORD not in down.text
    assert "p%40ss" not in down.text and "…6789@" in down.text


def test_a_worker_delivers_through_squid_and_a_proxy_refusal_is_not_charged_to_the_breaker(
    make_cluster, squid, receiver
):
    """While the proxy refuses, a delivery is retried past max_attempts (a proxy_error spends none of them, and is
    not charged to the breaker); once the proxy lets it through, it is delivered."""
    cluster = make_cluster(HOOKS_EGRESS_PROXY_URL=squid.url, HOOKS_BREAKER_THRESHOLD="2")
    cluster.worker(concurrency=2), cluster.scheduler()
    receiver.script("/via-squid", [(204, 0, {"Connection": "close"})])  # squid logs a tunnel when it closes
    behind = Receiver().start()  # the endpoint squid refuses CONNECT to, until it is told otherwise
    original, behind_port = squid.denied_port, behind.server.server_address[1]
    squid.deny(behind_port)
    try:
        good = hooks.create_webhook(receiver.url + "/via-squid", ["e"])
        refused = hooks.create_webhook(behind.url + "/refused", ["e"])
        started = time.time()
        hooks.publish_event("e", {"n": 1})

        wait_for(lambda: every(hooks.list_deliveries, webhook_id=good.id, status="delivered"), what="the delivery")
        max_attempts = cluster.settings.max_attempts
        (pending,) = wait_for(lambda: [d for d in hooks.list_deliveries(webhook_id=refused.id)
                                       if d.attempts > max_attempts + 1], what="attempts past max_attempts")  # fmt: skip
        assert (pending.status, pending.round_attempts, pending.last_error) == ("pending", 0, "proxy_error")
        health = breaker_state(get_redis(), cluster.settings, refused.id)
        assert (health["state"], health["consecutive_failures"]) == ("closed", 0), "the proxy's failure"
        denied = [line for line in connects(squid, behind_port) if float(line.split()[0]) >= started]
        assert len(denied) > max_attempts and all("TCP_DENIED/403" in line for line in denied)

        squid.deny(original)  # the proxy lets it through: delivered, its proxy errors in its attempt log
        wait_for(lambda: behind.requests_to("/refused"), what="the delivery once the proxy allows it")
        (done,) = wait_for(lambda: every(hooks.list_deliveries, webhook_id=refused.id, status="delivered"),
                           what="the delivery to be delivered")  # fmt: skip
        errors = [a["error"] for a in hooks.get_delivery(done.id).attempt_log]
        assert errors[-1] is None and set(errors[:-1]) == {"proxy_error"} and len(errors) > max_attempts + 2
    finally:
        squid.deny(original)
        behind.stop()
    assert hooks.get_webhook(refused.id).enabled

    port = receiver.server.server_address[1]
    wait_for(lambda: connects(squid, port), 10, what="squid to log the delivery's tunnel")
    worker_log = "".join(p.read_text() for p in cluster.logs("worker"))
    assert "answered CONNECT to port" in worker_log and PASSWORD not in worker_log
    # the API's "send a test event" is made by the worker, through the proxy like a delivery
    tunnels = len(connects(squid, port))
    result = send_test(hooks.get_webhook(good.id), cluster.settings)
    assert (result.ok, result.status_code) == (True, 204), result
    wait_for(lambda: len(connects(squid, port)) > tunnels, 10, what="squid to log the test send's tunnel")
