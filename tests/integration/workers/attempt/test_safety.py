"""The attempt's safety rails with real servers on 127.0.0.1: the SSRF guard at attempt time, address pinning,
no redirects, the hard deadline against slow-drip servers, the response size cap, TLS checked against the name.

Nothing here sends a byte anywhere but 127.0.0.1: DNS is stubbed (`hooks.http.resolver`), names end in `.test`,
and every connection the attempt opens goes through a guard that fails the test for any other address.
At the end, property tests of the producer API against a real Redis: a refused input stores nothing.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

import hooks
import workers.attempt.http
import workers.attempt.wire
from hooks.deliveries.dlq import list_dead
from hooks.settings import Settings, reset_settings
from hooks.store.connection import get_redis
from tests.conftest import stored_keys, wait_for
from tests.strategies import event_kwargs, events_lists, urls, webhook_fields
from workers.attempt.http import post

try:  # generates a throwaway CA and certificates for the TLS tests (pip install trustme)
    import trustme
except ImportError:  # pragma: no cover
    trustme = None

BODY = b'{"hello":"world"}'
HEADERS = {"Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Every connection the attempt opens, recorded; anything but 127.0.0.1 fails the test before connecting.

    Also gives the test fresh connections (they are per thread and keyed without the settings).
    """
    real = workers.attempt.wire.create_connection
    opened: list[tuple[str, int]] = []

    def guarded(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        opened.append((address[0], address[1]))
        if address[0] != "127.0.0.1":
            raise AssertionError(f"the attempt tried to connect to {address}: only 127.0.0.1 is allowed in tests")
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workers.attempt.wire, "create_connection", guarded)
    monkeypatch.setattr(workers.attempt.http, "_local", threading.local())
    yield opened


def stub_dns(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[tuple[str, int]]:
    """Make every name resolve to `answers` (names must end in .test); returns the lookups made."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        assert host.endswith(".test"), f"tests only resolve .test names, not {host}"
        asked.append((host, port))
        return list(answers)

    monkeypatch.setattr(workers.attempt.http, "resolver", resolve)
    return asked


def deny(settings: Settings, **update: object) -> Settings:
    """The test settings with private networks refused again (as in production)."""
    return settings.model_copy(update={"allow_private_networks": False, "allowed_networks": "", **update})


# ---- the SSRF guard at attempt time -----------------------------------------------------------------------


def test_a_literal_loopback_url_is_refused_at_attempt_time_and_nothing_is_sent(settings, receiver, loopback_only):
    result = post(receiver.url + "/x", BODY, HEADERS, deny(settings))
    assert result.error == "blocked_address" and result.status is None and not result.ok
    assert result.address == "127.0.0.1"
    assert loopback_only == [] and receiver.received == []


def test_a_name_resolving_to_a_private_address_is_refused_and_nothing_is_sent(
    settings, receiver, monkeypatch, loopback_only
):
    asked = stub_dns(monkeypatch, ["10.0.0.1"])
    result = post("http://internal.test/x", BODY, HEADERS, deny(settings))
    assert result.error == "blocked_address" and result.address == "10.0.0.1"
    assert asked == [("internal.test", 80)]
    assert loopback_only == [] and receiver.received == []


@pytest.mark.parametrize(
    "answers, refused",
    [(["93.184.215.14", "10.1.2.3"], "10.1.2.3"), (["10.1.2.3", "93.184.215.14"], "10.1.2.3"),
     (["93.184.215.14", "169.254.169.254"], "169.254.169.254")],
)  # fmt: skip
def test_one_private_answer_among_public_ones_refuses_the_whole_name(
    settings, monkeypatch, loopback_only, answers, refused
):
    stub_dns(monkeypatch, answers)
    result = post("https://mixed.test/x", BODY, HEADERS, deny(settings))
    assert result.error == "blocked_address" and result.address == refused
    assert loopback_only == [], "no connection at all, not even to the public answer"


def test_an_allow_listed_network_is_reached_at_the_checked_address_with_the_name_as_host(
    settings, receiver, monkeypatch, loopback_only
):
    asked = stub_dns(monkeypatch, ["127.0.0.1"])
    port = receiver.server.server_address[1]
    result = post(f"http://somename.test:{port}/pinned?q=1", BODY, HEADERS,
                  deny(settings, allowed_networks="127.0.0.0/8"))  # fmt: skip

    assert result.error is None and result.status == 204 and result.address == "127.0.0.1"
    assert asked == [("somename.test", port)], "resolved once, by the guard"
    assert loopback_only == [("127.0.0.1", port)], "connected to the address the guard checked"
    (req,) = receiver.requests_to("/pinned?q=1")
    assert req.headers["Host"] == f"somename.test:{port}"
    assert req.body == BODY


def test_the_allow_list_does_not_open_other_private_addresses(settings, monkeypatch, loopback_only):
    stub_dns(monkeypatch, ["10.9.9.9"])
    result = post("http://somename.test/x", BODY, HEADERS, deny(settings, allowed_networks="127.0.0.0/8"))
    assert result.error == "blocked_address" and result.address == "10.9.9.9"
    assert loopback_only == []


def test_a_webhook_to_a_blocked_address_is_refused_at_registration_and_dead_lettered_at_attempt_time(
    make_cluster, receiver
):
    cluster = make_cluster(HOOKS_ALLOW_PRIVATE_NETWORKS="false", HOOKS_ALLOWED_NETWORKS="")
    client = get_redis(cluster.settings)
    with pytest.raises(hooks.ValidationError, match="loopback"):
        hooks.create_webhook(receiver.url + "/x", ["e"])
    assert stored_keys(client) == set(), "a refused webhook stores nothing"

    # one that got in while private networks were allowed (an operator changed the setting since)
    reset_settings(cluster.settings.model_copy(update={"allow_private_networks": True}))
    try:
        wh = hooks.create_webhook(receiver.url + "/x", ["e"])
    finally:
        reset_settings(cluster.settings)
    cluster.worker(), cluster.scheduler()
    hooks.publish_event("e", {"n": 1})

    (d,) = wait_for(lambda: hooks.list_deliveries(webhook_id=wh.id, status="failed"), what="the dead letter")
    assert d.reason == "blocked_address" and d.attempts == 1
    wait_for(lambda: [x.id for x in list_dead(webhook_id=wh.id)] == [d.id], what="the history's DLQ to have it")
    (attempt,) = hooks.get_delivery(d.id).attempt_log
    assert attempt["error"] == "blocked_address" and attempt["address"] == "127.0.0.1"
    assert attempt["status_code"] is None and attempt["outcome"] == "dead"
    assert receiver.received == []


# ---- no redirects -----------------------------------------------------------------------------------------


def test_a_redirect_is_not_followed(settings, receiver, loopback_only):
    receiver.script("/moved", [(302, 0, {"Location": receiver.url + "/elsewhere"})])
    result = post(receiver.url + "/moved", BODY, HEADERS, settings)
    assert result.status == 302 and not result.ok and result.error is None
    assert len(receiver.requests_to("/moved")) == 1 and receiver.requests_to("/elsewhere") == []


@pytest.mark.usefixtures("worker", "scheduler")
def test_a_redirecting_endpoint_is_retried_never_followed(settings, receiver):
    receiver.script("/moved", [(302, 0, {"Location": receiver.url + "/elsewhere"})])
    wh = hooks.create_webhook(receiver.url + "/moved", ["e"], retry={"max_attempts": 2})
    hooks.publish_event("e", {})

    (d,) = wait_for(lambda: hooks.list_deliveries(webhook_id=wh.id, status="failed"), what="attempts to run out")
    log = hooks.get_delivery(d.id).attempt_log
    assert [a["status_code"] for a in log] == [302, 302]
    assert [a["outcome"] for a in log] == ["retry", "dead"] and d.reason == "attempts_exhausted"
    assert len(receiver.requests_to("/moved")) == 2 and receiver.requests_to("/elsewhere") == []


# ---- raw servers on 127.0.0.1 -----------------------------------------------------------------------------


class RawServer:
    """A TCP (or TLS) server on 127.0.0.1 running `handle(server, conn)` per connection, in threads.

    Everything is bounded: handlers stop when the test ends (`stop`) or after 60 s, sockets time out after 10 s.
    `events` records what the handlers saw ("dropped" when the client hung up on them).
    """

    def __init__(self, handle: Callable[[RawServer, socket.socket], None], tls: ssl.SSLContext | None = None):
        self.handle = handle
        self.tls = tls
        self.stop = threading.Event()
        self.events: list[str] = []
        self.requests: list[bytes] = []
        self.sni: list[str | None] = []
        self.sent = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handle(self, conn)
        except (BrokenPipeError, ConnectionResetError):
            self.events.append("dropped")
        except ssl.SSLError as exc:
            self.events.append(f"tls:{exc.reason}")
        except OSError as exc:  # a timeout: the client went quiet
            self.events.append(f"oserror:{type(exc).__name__}")
        finally:
            conn.close()

    def read_request(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        if head:  # not a client that hung up without a request
            self.requests.append(head)
        return head

    def drip(self, conn: socket.socket) -> None:
        """One byte every 0.2 s until the client hangs up, the test ends, or 60 s pass."""
        end = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < end:
            conn.sendall(b"a")
            self.stop.wait(0.2)
        self.events.append("stopped dripping")

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    made: list[RawServer] = []

    def make(handle: Callable[[RawServer, socket.socket], None], tls: ssl.SSLContext | None = None) -> RawServer:
        made.append(RawServer(handle, tls))
        return made[-1]

    yield make
    for server in made:
        server.close()


def _drip_headers(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    server.drip(conn)


def _drip_body(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\n")
    server.drip(conn)


def _drip_close_delimited_body(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)  # no length: the body ends when the connection closes (http.client drops conn.sock)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    server.drip(conn)


def _drip_http10_body(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    server.drip(conn)


@pytest.mark.parametrize(
    "handler",
    [_drip_headers, _drip_body, _drip_close_delimited_body, _drip_http10_body],
    ids=["headers", "body", "close-delimited-body", "http10-body"],
)
def test_a_slow_drip_server_is_cut_at_the_attempt_deadline(settings, raw_server, handler):
    server = raw_server(handler)
    started = time.monotonic()
    result = post(f"http://127.0.0.1:{server.port}/drip", BODY, HEADERS,
                  settings.model_copy(update={"request_timeout_s": 1.5}))  # fmt: skip
    print(f"\nslow drip ({handler.__name__}) cut after {time.monotonic() - started:.2f}s, result {result}")
    assert result.error == "timeout" and result.status is None and result.address == "127.0.0.1"
    assert len(server.requests) == 1
    wait_for(lambda: "dropped" in server.events, what="the server to see the connection dropped")


def test_a_huge_response_is_read_only_up_to_the_limit_and_the_connection_dropped(settings, raw_server):
    total = 10 * 1024 * 1024

    def huge(server: RawServer, conn: socket.socket) -> None:
        server.read_request(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % total)
        chunk = b"x" * 65536
        while server.sent < total and not server.stop.is_set():
            conn.sendall(chunk)
            server.sent += len(chunk)
        server.events.append("sent everything")

    server = raw_server(huge)
    result = post(f"http://127.0.0.1:{server.port}/big", BODY, HEADERS, settings)
    assert result.status == 200 and result.ok and result.error is None
    assert len(result.body) == settings.max_response_bytes == 65536
    wait_for(lambda: server.events, what="the server to finish")
    print(f"\nserver sent {server.sent} of {total} bytes before the client hung up")
    assert server.events == ["dropped"] and server.sent < total


def test_a_complete_small_response_keeps_the_connection_for_the_next_attempt(settings, raw_server, loopback_only):
    def two_answers(server: RawServer, conn: socket.socket) -> None:
        for _ in range(2):
            server.read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        server.events.append("answered twice")

    server = raw_server(two_answers)
    url = f"http://127.0.0.1:{server.port}/keep"
    first, second = (post(url, BODY, HEADERS, settings) for _ in range(2))
    assert (first.status, first.body, second.status, second.body) == (200, b"ok", 200, b"ok")
    assert len(loopback_only) == 1, "one connection, reused"
    wait_for(lambda: server.events == ["answered twice"])


# ---- TLS --------------------------------------------------------------------------------------------------

needs_trustme = pytest.mark.skipif(trustme is None, reason="TLS tests need the trustme package")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


def _tls_context(authority: object, name: str, server_sni: list[str | None]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(ctx)  # type: ignore[attr-defined]
    ctx.sni_callback = lambda _sock, sni, _ctx: server_sni.append(sni)  # type: ignore[assignment,return-value]
    return ctx


def _answer(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntls ok")
    server.events.append("answered")


def _tls_server(raw_server: Callable[..., RawServer], authority: object, name: str) -> RawServer:
    sni: list[str | None] = []
    server = raw_server(_answer, tls=_tls_context(authority, name, sni))
    server.sni = sni
    return server


@needs_trustme
def test_tls_to_a_server_with_an_unknown_ca_fails_as_tls_error(settings, raw_server, ca):
    authority, _ = ca
    server = _tls_server(raw_server, authority, "127.0.0.1")
    result = post(f"https://127.0.0.1:{server.port}/", BODY, HEADERS, settings)
    assert result.error == "tls_error" and result.status is None and result.address == "127.0.0.1"
    wait_for(lambda: server.events, what="the server's handshake to end")
    assert server.events != ["answered"] and server.requests == []


@needs_trustme
def test_tls_is_checked_against_the_hostname_and_sni_names_it(settings, raw_server, ca, monkeypatch, loopback_only):
    authority, ca_file = ca
    stub_dns(monkeypatch, ["127.0.0.1"])
    server = _tls_server(raw_server, authority, "localhost.test")
    trusting = settings.model_copy(update={"ca_bundle": str(ca_file)})

    result = post(f"https://localhost.test:{server.port}/secure", BODY, HEADERS, trusting)
    assert result.error is None and result.status == 200 and result.body == b"tls ok"
    assert loopback_only == [("127.0.0.1", server.port)]
    assert server.sni == ["localhost.test"]
    assert f"Host: localhost.test:{server.port}".encode() in server.requests[0]


@needs_trustme
def test_tls_with_a_certificate_for_another_name_fails_even_at_the_pinned_address(
    settings, raw_server, ca, monkeypatch
):
    authority, ca_file = ca
    stub_dns(monkeypatch, ["127.0.0.1"])
    server = _tls_server(raw_server, authority, "localhost.test")
    trusting = settings.model_copy(update={"ca_bundle": str(ca_file)})

    by_other_name = post(f"https://other.test:{server.port}/", BODY, HEADERS, trusting)
    by_address = post(f"https://127.0.0.1:{server.port}/", BODY, HEADERS, trusting)
    assert by_other_name.error == "tls_error" and by_address.error == "tls_error"
    assert server.requests == []


# ---- properties of the producer API against a real Redis ---------------------------------------------------

_PROPERTY = hyp_settings(max_examples=100, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


def _all_keys(client) -> set[bytes]:
    return set(client.scan_iter(count=1000))


@pytest.fixture
def make_cluster_once(make_cluster, monkeypatch):
    """A private database with no process at all (nothing consumes what is published; no archiver makes its stream
    while an example counts the keys) and DNS stubbed to no answer."""

    real = socket.getaddrinfo

    def no_dns(host: str, *args: object, **kwargs: object) -> list[object]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "stubbed: names do not resolve in this test") from None
        return real(host, *args, **kwargs)

    cluster = make_cluster(archiver=False, HOOKS_ALLOW_PRIVATE_NETWORKS="false")
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    return cluster


@_PROPERTY
@given(kwargs=event_kwargs())
def test_publish_event_stores_everything_or_nothing(make_cluster_once, kwargs):
    client = get_redis(make_cluster_once.settings)
    before = _all_keys(client)
    try:
        event_id = hooks.publish_event(**kwargs)
    except hooks.ValidationError as exc:
        event("refused: " + str(exc).split(":")[0])
        assert _all_keys(client) == before, "a refused event stored nothing"
        return
    event("stored")
    assert client.exists(f"{make_cluster_once.settings.key_prefix}:ev:{event_id}")


_URLS = st.one_of(
    urls,
    st.sampled_from(["http://127.0.0.1:9/x", "http://10.0.0.1/", "http://[::1]/", "http://0x7f.1/",
                     "http://169.254.169.254/latest", "https://[fd00:ec2::254]/", "http://[::ffff:10.0.0.1]/"]),
)  # fmt: skip


@_PROPERTY
@given(url=_URLS, events=events_lists, fields=webhook_fields())
def test_create_webhook_stores_everything_or_nothing(make_cluster_once, url, events, fields):
    client = get_redis(make_cluster_once.settings)
    before = _all_keys(client)
    try:
        wh = hooks.create_webhook(url, events, **fields)
    except hooks.ValidationError as exc:
        event(f"refused: {type(exc).__name__} " + str(exc).split(":")[0])
        assert _all_keys(client) == before, "a refused webhook stored nothing"
        return
    event("stored")
    stored = json.loads(client.get(f"{make_cluster_once.settings.key_prefix}:wh:{wh.id}"))
    assert stored["url"] == wh.url and stored["id"] == wh.id


# ---- requests that cannot be sent are results, not exceptions ---------------------------------------------


def test_a_stored_http_url_under_require_https_is_an_error_result_not_an_exception(settings, receiver):
    result = post(receiver.url + "/x", BODY, HEADERS, settings.model_copy(update={"require_https": True}))
    assert result.error == "invalid_url" and result.status is None
    assert receiver.received == []


def test_a_header_value_http_cannot_carry_is_an_error_result_not_an_exception(settings, receiver):
    result = post(receiver.url + "/x", BODY, {**HEADERS, "X-Name": "日本"}, settings)
    assert result.error == "invalid_header" and result.status is None
    assert receiver.received == []
    assert post(receiver.url + "/x", BODY, {**HEADERS, "X-Name": "é"}, settings).status == 204  # latin-1 is fine


def test_a_closed_port_is_connection_refused_not_a_connect_timeout(settings, loopback_only):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        result = post(f"http://127.0.0.1:{port}/x", BODY, HEADERS, settings)
    assert result.error == "connection_refused" and result.address == "127.0.0.1"
    assert loopback_only == [("127.0.0.1", port)]


@pytest.mark.usefixtures("worker", "scheduler")
def test_a_header_value_http_cannot_carry_is_refused_at_registration(settings, receiver):
    # HTTP/1.1 header values are latin-1 at most; we accept ASCII only, so no stored webhook is unsendable
    with pytest.raises(hooks.ValidationError, match="ASCII"):
        hooks.create_webhook(receiver.url + "/unsendable", ["e"], headers={"X-Name": "日本"})
    with pytest.raises(hooks.ValidationError, match="ASCII"):
        hooks.create_webhook(receiver.url + "/unsendable", ["e"], auth={"type": "bearer", "token": "tök"})
    assert hooks.list_webhooks() == []
