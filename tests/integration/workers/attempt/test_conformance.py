"""The delivery client (workers.attempt.http.post over wire.Connection, the SSRF guard allowing 127.0.0.1 as the
tests' settings do) against real servers: nginx (plain; TLS with a private CA; `keepalive_timeout 1s`,
`keepalive_requests 5`; behind `proxy_pass`), gunicorn (sync, gthread), hypercorn, uvicorn and node's `http`.

Each gets several POSTs over kept-alive connections, then more after its keep-alive timeout has closed the
connection: every request must arrive exactly once (the servers log each) and every answer be read right (it
echoes the request). gunicorn and hypercorn also answer a 4 MB body before reading it (413, or 200): the answer
must be read, not lost to the failed send. The raw-socket cases are in test_conformance_raw.py. Every server
starts once for the module, all at the same time.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import workers.attempt.http
from hooks.local.processes import stop_process
from hooks.local.servers import free_port
from hooks.settings import Settings
from tests.support.daemons import wait_listening
from tests.support.nginx import Nginx
from workers.attempt.http import post

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent
HEADERS = {"Content-Type": "application/json"}
NODE = """
const http = require('http'), fs = require('fs');
const [port, log] = process.argv.slice(1);  // node -e: no script in argv
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts), out = Buffer.concat([Buffer.from('ok:'), body]);
    fs.appendFileSync(log, req.url + ' ' + body + '\\n');
    res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': out.length}).end(out);
  });
});
server.keepAliveTimeout = 1000;
server.listen(+port, '127.0.0.1');
"""
NGINX = """
server {{ listen 127.0.0.1:{{port}}; keepalive_timeout 1s; keepalive_requests 5;
         location / {{ return 200 "ok:$uri"; }} }}
server {{ listen 127.0.0.1:{{port2}} ssl; ssl_certificate {{root}}/cert.pem; ssl_certificate_key {{root}}/key.pem;
         keepalive_timeout 1s; keepalive_requests 5; location / {{ return 200 "ok:$uri"; }} }}
server {{ listen 127.0.0.1:{{port3}}; keepalive_timeout 1s; keepalive_requests 5;
         location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_http_version 1.1;
                      proxy_set_header Connection ""; }} }}
"""


APP = "tests.support.conformance_apps"
GTHREAD = ["-k", "gthread", "-w", "1", "--threads", "4", "--keep-alive", "1", "--no-control-socket"]
COMMANDS = {  # each with its keep-alive timeout (gunicorn's sync worker closes after every answer)
    "gunicorn-sync": ([BIN / "gunicorn", "-k", "sync", "-w", "1", "--no-control-socket", f"{APP}:wsgi"], 0.0),
    "gunicorn-gthread": ([BIN / "gunicorn", *GTHREAD, f"{APP}:wsgi"], 1.0),
    "hypercorn": ([BIN / "hypercorn", "--keep-alive", "1", f"{APP}:asgi"], 1.0),
    "uvicorn": ([BIN / "uvicorn", "--timeout-keep-alive", "1", "--lifespan", "off", f"{APP}:asgi"], 1.0),
    "node": (["/usr/bin/node", "-e", NODE], 1.0),
}


@dataclass
class Server:
    """A server under test: where to POST, how long it keeps an idle connection, and what arrived."""

    url: str
    keep_alive_s: float
    seen: Callable[[], list[str]]  # the paths of the requests that arrived, in order
    echoes_body: bool = True  # answers ok:<body> (nginx's `return` answers ok:<path>)
    ca: str | None = None  # the private CA that signed its certificate


def write_ca_and_cert(folder: Path) -> Path:
    """A private CA and a certificate for 127.0.0.1 it signed (cert.pem, key.pem); returns the CA's file."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks conformance test CA")])

    def build(subject: x509.Name, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(public)
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1)))  # fmt: skip

    ca = build(ca_name, ca_key.public_key()).add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    ca = ca.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                        data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                        crl_sign=True, encipher_only=False, decipher_only=False), True)  # fmt: skip
    ca_cert = ca.sign(ca_key, hashes.SHA256())
    leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), key.public_key())
    leaf = leaf.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
    leaf = leaf.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
    cert = leaf.sign(ca_key, hashes.SHA256())
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))  # fmt: skip
    return folder / "ca.pem"


def logged_paths(log: Path) -> Callable[[], list[str]]:
    return lambda: [line.split(" ", 1)[0] for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    root = tmp_path_factory.mktemp("conformance")
    procs: list[tuple[str, int, subprocess.Popen[bytes], Path]] = []
    made: dict[str, Server] = {}
    nginx: Nginx | None = None
    try:
        for name, (args, keep_alive_s) in COMMANDS.items():
            port, log, out = free_port(), root / f"{name}.log", root / f"{name}.out"
            bind = {"gunicorn": ["-b", f"127.0.0.1:{port}"], "hypercorn": ["-b", f"127.0.0.1:{port}"],
                    "uvicorn": ["--host", "127.0.0.1", "--port", str(port)], "node": [str(port), str(log)]}  # fmt: skip
            argv = [str(a) for a in args] + bind[name.split("-")[0]]
            with out.open("wb") as output:  # the child has its own copy
                proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "CONFORMANCE_LOG": str(log)},
                                        stdout=output, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
            procs.append((name, port, proc, out))
            made[name] = Server(f"http://127.0.0.1:{port}", keep_alive_s, logged_paths(log))
        (root / "nginx").mkdir()
        ca = write_ca_and_cert(root / "nginx")
        nginx = Nginx(root / "nginx", NGINX.format(upstream=made["node"].url.rsplit(":", 1)[1])).start()
        made["nginx"] = Server(f"http://127.0.0.1:{nginx.ports[0]}", 1.0, nginx_paths(nginx, nginx.ports[0]), False)
        made["nginx-tls"] = Server(f"https://127.0.0.1:{nginx.ports[1]}", 1.0, nginx_paths(nginx, nginx.ports[1]),
                                   False, str(ca))  # fmt: skip
        made["nginx-proxy"] = Server(f"http://127.0.0.1:{nginx.ports[2]}", 1.0, made["node"].seen)
        for _, port, proc, out in procs:
            wait_listening(str(proc.args), proc, port, out, 20)
        yield made
    finally:
        if nginx is not None:
            nginx.stop()
        for _, _, proc, _ in procs:
            stop_process(proc)


def nginx_paths(nginx: Nginx, port: int) -> Callable[[], list[str]]:
    """The paths nginx logged for `port` (its access log has one format for all: the port is in the path)."""
    return lambda: [p for p in re.findall(r'"POST (\S+) HTTP/1.1"', nginx.access_log()) if f"/{port}/" in p]


@pytest.fixture(autouse=True)
def fresh_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.attempt.http, "_local", threading.local())


def post_to(server: Server, settings: Settings, path: str, body: bytes) -> tuple[int | None, str | None, bytes]:
    if server.ca:
        settings = settings.model_copy(update={"ca_bundle": server.ca})
    result = post(server.url + path, body, HEADERS, settings)
    return result.status, result.error, result.body


def run_rounds(server: Server, settings: Settings, name: str, port_tag: str) -> None:
    """7 POSTs back to back (past nginx's keepalive_requests 5), a wait past the keep-alive timeout, 2 more."""
    sent: list[str] = []
    for i in range(9):
        if i == 7:
            time.sleep(server.keep_alive_s + 0.3)  # the server closes the idle connection meanwhile
        path = f"/hook/{port_tag}/{name}-{i}"
        body = b'{"id":"%s-%d","pad":"%s"}' % (name.encode(), i, b"x" * 1000)
        answer = (200, None, b"ok:" + (body if server.echoes_body else path.encode()))
        assert post_to(server, settings, path, body) == answer, f"request {i}"
        sent.append(path)
    arrived = Counter(server.seen())
    assert {p: arrived[p] for p in sent} == dict.fromkeys(sent, 1)  # each exactly once
    assert sum(arrived[p] for p in arrived if f"/{name}-" in p) == len(sent)  # and nothing else of this test


@pytest.mark.parametrize("name", ["nginx", "nginx-tls", "nginx-proxy", "gunicorn-sync", "gunicorn-gthread",
                                  "hypercorn", "uvicorn", "node"])  # fmt: skip
def test_every_request_arrives_once_and_every_answer_is_read_across_keep_alive(servers, settings, name):
    server = servers[name]
    run_rounds(server, settings, name, server.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("name", ["gunicorn-sync", "gunicorn-gthread", "hypercorn"])
def test_an_answer_before_a_4mb_body_was_read_is_read_and_a_2xx_is_a_delivery(servers, settings, name):
    server = servers[name]
    body = b'{"pad":"' + b"x" * (4 * 1024 * 1024) + b'"}'
    for status in (413, 200):
        assert post_to(server, settings, f"/early/{status}", body) == (status, None, b"early")
        assert server.seen().count(f"/early/{status}") == 1  # answered, and not sent again
    ok = b'{"id":"after"}'
    assert post_to(server, settings, "/hook/after", ok) == (200, None, b"ok:" + ok)  # the server is still fine
