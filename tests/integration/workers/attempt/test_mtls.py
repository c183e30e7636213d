"""mTLS: a webhook's client certificate, checked at registration and presented to a real nginx that asks for one
(`ssl_verify_client on`), never on another webhook's connection. Certificates are made here with `cryptography`."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hooks import create_webhook, update_webhook
from hooks.errors import ValidationError
from hooks.models.delivery import Delivery
from hooks.models.webhook import Webhook
from hooks.registry.webhooks import get_webhook
from hooks.settings import Settings, reset_settings
from tests.support.certs import CA, Issued
from tests.support.nginx import Nginx
from workers.attempt.attempt import Attempt, attempt

SERVER = """log_format mtls '$connection $status "$ssl_client_s_dn"';
server {
  listen 127.0.0.1:{port} ssl;
  ssl_certificate {root}/server.pem;
  ssl_certificate_key {root}/server.key;
  ssl_client_certificate {root}/ca.pem;
  ssl_verify_client on;
  keepalive_timeout 30s;
  access_log {root}/mtls.log mtls;
  location / { return 200 "dn=$ssl_client_s_dn"; }
}
"""


class Pki:
    """The CA nginx trusts, a CA it does not, and the clients they issued."""

    def __init__(self) -> None:
        self.ca, self.other_ca = CA(), CA("another CA")
        self.alice, self.bob = self.ca.client("alice"), self.ca.client("bob")
        self.stranger = self.other_ca.client("stranger")


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def nginx(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    root = tmp_path_factory.mktemp("nginx-mtls")
    pki.ca.server("127.0.0.1").write(root, "server")
    (root / "ca.pem").write_text(pki.ca.cert_pem)
    with Nginx(root, SERVER) as server:
        yield server


@pytest.fixture
def trusting(settings: Settings, nginx: Nginx) -> Settings:
    """The settings with nginx's CA as the bundle endpoints are checked against."""
    return settings.model_copy(update={"ca_bundle": str(nginx.root / "ca.pem")})


def _webhook(nginx: Nginx, client: Issued | None, path: str = "/h") -> Webhook:
    fields = {} if client is None else {"client_cert": client.cert_pem, "client_key": client.key_pem}
    return create_webhook(f"https://127.0.0.1:{nginx.port}{path}", ["mtls.#"], **fields)


def _send(webhook: Webhook, settings: Settings) -> Attempt:
    delivery = Delivery("msg_mtls", "evt_mtls", webhook.id, "pending", 0, 0, time.time(), time.time())
    return attempt(delivery, get_webhook(webhook.id), b'{"n":1}', settings)


def test_the_client_certificate_is_presented_and_without_one_nginx_answers_400(pki, nginx, trusting):
    with_cert, without = _webhook(nginx, pki.alice), _webhook(nginx, None)
    sent = _send(with_cert, trusting)
    assert (sent.result.status, sent.result.body, sent.decision.outcome) == (200, b"dn=CN=alice", "delivered")
    refused = _send(without, trusting)
    assert refused.result.status == 400 and b"No required SSL certificate" in refused.result.body
    assert refused.decision.outcome == "retry"
    shown = get_webhook(with_cert.id).public_dict(show_secret=True)["mtls"]
    assert shown["subject"] == "CN=alice" and shown["issuer"] == "CN=hooks test CA" and "key" not in str(shown)
    assert len(shown["fingerprint_sha256"]) == 64 and shown["not_after"]
    assert '200 "CN=alice"' in (nginx.root / "mtls.log").read_text()


def test_a_kept_connection_is_never_reused_for_another_webhooks_certificate(pki, nginx, trusting):
    alice, bob, nobody = _webhook(nginx, pki.alice), _webhook(nginx, pki.bob), _webhook(nginx, None)
    answers = [_send(w, trusting).result for w in (alice, bob, nobody, alice, bob, alice)]
    assert [(a.status, a.body.decode()[:12]) for a in answers] == [
        (200, "dn=CN=alice"), (200, "dn=CN=bob"), (400, "<html>\r\n<hea"), (200, "dn=CN=alice"),
        (200, "dn=CN=bob"), (200, "dn=CN=alice"),
    ]  # fmt: skip
    log = [line.split() for line in (nginx.root / "mtls.log").read_text().splitlines()]
    by_connection: dict[str, set[str]] = {}
    for connection, _status, dn in log:
        by_connection.setdefault(connection, set()).add(dn)
    assert all(len(dns) == 1 for dns in by_connection.values())  # one certificate per connection
    assert len(log) > len(by_connection)  # and connections were kept


def test_a_certificate_from_a_ca_nginx_does_not_trust_is_refused_by_nginx(pki, nginx, trusting):
    sent = _send(_webhook(nginx, pki.stranger), trusting)
    assert sent.result.status == 400 and b"SSL certificate error" in sent.result.body


def test_a_new_certificate_replaces_the_old_one_at_once(pki, nginx, trusting):
    webhook = _webhook(nginx, pki.alice)
    assert _send(webhook, trusting).result.body == b"dn=CN=alice"
    update_webhook(webhook.id, client_cert=pki.bob.cert_pem, client_key=pki.bob.key_pem)
    assert _send(webhook, trusting).result.body == b"dn=CN=bob"
    update_webhook(webhook.id, client_cert=None)
    assert get_webhook(webhook.id).mtls is None and _send(webhook, trusting).result.status == 400


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: {"client_cert": p.alice.cert_pem, "client_key": p.bob.key_pem},
         "client_key: does not match client_cert"),
        (lambda p: {"client_cert": p.ca.client("old", expired=True).cert_pem, "client_key": p.alice.key_pem},
         "client_cert: expired on"),
        (lambda p: {"client_cert": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
                    "client_key": p.alice.key_pem}, "client_cert: is not a PEM certificate"),
        (lambda p: {"client_cert": p.alice.cert_pem, "client_key": "not a key"}, "client_key: is not a PEM private"),
        (lambda p: {"client_cert": p.alice.cert_pem, "client_key": p.alice.key_encrypted("s3cret-pass")},
         "client_key: is encrypted; give its passphrase"),
        (lambda p: {"client_cert": p.alice.cert_pem, "client_key": p.alice.key_encrypted("s3cret-pass"),
                    "client_key_password": "wrong"}, "client_key: does not open with client_key_password"),
        (lambda p: {"client_cert": p.alice.cert_pem}, "client_key: is required with client_cert"),
    ],
)  # fmt: skip
def test_registration_refuses_a_bad_certificate_or_key_in_one_sentence_naming_the_field(pki, settings, make,
                                                                                       message):  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        create_webhook("https://127.0.0.1:9/h", ["mtls.#"], **make(pki))
    assert str(caught.value).startswith(message) and str(caught.value).count(". ") == 0
    assert pki.alice.key_pem.splitlines()[1][:16] not in str(caught.value)


def test_an_encrypted_key_with_its_passphrase_is_stored_decrypted_and_sealed(pki, nginx, trusting):
    webhook = create_webhook(f"https://127.0.0.1:{nginx.port}/h", ["mtls.#"], client_cert=pki.alice.cert_pem,
                             client_key=pki.alice.key_encrypted("s3cret-pass"), client_key_password="s3cret-pass")  # fmt: skip
    stored = get_webhook(webhook.id).model_dump_json()
    assert "PRIVATE KEY" not in stored and "s3cret-pass" not in stored and '"key_sealed":"v1.' in stored
    assert _send(webhook, trusting).result.body == b"dn=CN=alice"


def test_without_an_encryption_key_a_client_key_is_refused(pki, settings):
    reset_settings(settings.model_copy(update={"encryption_key": None}))
    with pytest.raises(ValidationError, match=r"^client_key: cannot be stored: HOOKS_ENCRYPTION_KEY is not set"):
        create_webhook("https://127.0.0.1:9/h", ["mtls.#"], client_cert=pki.alice.cert_pem,
                       client_key=pki.alice.key_pem)  # fmt: skip


def test_a_client_certificate_needs_an_https_url(pki, settings):
    with pytest.raises(ValidationError, match=r"^client_cert: needs an https:// url"):
        create_webhook("http://127.0.0.1:9/h", ["mtls.#"], client_cert=pki.alice.cert_pem,
                       client_key=pki.alice.key_pem)  # fmt: skip
