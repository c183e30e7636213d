"""mTLS and OAuth2 through every entry point: `hooks webhook add|update|show` (secrets read from files or stdin),
the HTTP API's typed fields, and the dashboard's page and edit form; secrets never shown back, only masked."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from hooks.cli import main
from hooks.registry.webhooks import get_webhook
from tests.integration.api.test_dashboard_session import login
from tests.support.certs import CA, Issued

SECRET = "Cs2SECRETCLIENT-value-0042"


@pytest.fixture(scope="module")
def alice() -> Issued:
    return CA().client("alice")


def _hooks(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_add_update_and_show_with_a_client_certificate_and_oauth2(settings, alice, tmp_path: Path, capsys,
                                                                      monkeypatch):  # fmt: skip
    cert, key = alice.write(tmp_path, "alice")
    (tmp_path / "secret").write_text(SECRET + "\n")
    code, out, err = _hooks(capsys, "webhook", "add", "--url", "https://127.0.0.1:9/h", "--event", "a.#", "--json",
                            "--client-cert", str(cert), "--client-key", str(key), "--oauth2-token-url",
                            "https://127.0.0.1:9/token", "--oauth2-client-id", "cli", "--oauth2-client-secret-file",
                            str(tmp_path / "secret"), "--oauth2-scope", "a b")  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert made["mtls"]["subject"] == "CN=alice" and made["oauth2"]["client_secret"] == "…0042"
    assert SECRET not in out and alice.key_pem.splitlines()[2] not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("Cs2SECRETCLIENT-newer-0043\n"))
    code, out, err = _hooks(capsys, "webhook", "update", made["id"], "--oauth2-scope", "c",
                            "--oauth2-client-secret-file", "-")  # fmt: skip
    assert code == 0, err
    stored = get_webhook(made["id"])
    assert stored.oauth2 is not None and stored.oauth2.scope == "c" and stored.oauth2.client_id == "cli"
    assert stored.oauth2.client_secret_mask == "…0043" and stored.mtls is not None
    code, out, _ = _hooks(capsys, "webhook", "show", made["id"], "--show-secret")
    assert "client cert   CN=alice" in out or "CN=alice (issuer CN=hooks test CA" in out
    assert "secret=…0043" in out and "newer" not in out and alice.key_pem.splitlines()[2] not in out
    code, out, err = _hooks(capsys, "webhook", "update", made["id"], "--no-client-cert", "--no-oauth2")
    assert code == 0 and get_webhook(made["id"]).mtls is None and get_webhook(made["id"]).oauth2 is None


def test_cli_refuses_in_one_sentence_naming_the_option(settings, alice, tmp_path: Path, capsys):
    _, key = alice.write(tmp_path, "alice")
    code, _, err = _hooks(capsys, "webhook", "add", "--url", "https://127.0.0.1:9/h", "--event", "a.#",
                          "--client-key", str(key))  # fmt: skip
    assert code != 0 and "--client-cert: is required with --client-key." in err
    code, _, err = _hooks(capsys, "webhook", "add", "--url", "https://127.0.0.1:9/h", "--event", "a.#",
                          "--client-cert", str(tmp_path / "missing.pem"), "--client-key", str(key))  # fmt: skip
    assert code != 0 and "--client-cert: cannot read" in err


def test_api_create_show_update_with_typed_fields(api, alice):
    body: dict[str, Any] = {"url": "https://127.0.0.1:9/h", "events": ["a.#"], "client_cert": alice.cert_pem,
                            "client_key": alice.key_pem, "oauth2": {"token_url": "https://127.0.0.1:9/t",
                            "client_id": "api", "client_secret": SECRET, "audience": "x"}}  # fmt: skip
    r = api.post("/v1/webhooks", json=body)
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    shown = api.get(f"/v1/webhooks/{wid}").json()
    assert shown["mtls"]["issuer"] == "CN=hooks test CA" and shown["oauth2"]["client_secret"] == "…0042"
    assert SECRET not in r.text + json.dumps(shown) and "PRIVATE" not in r.text + json.dumps(shown)
    r = api.patch(f"/v1/webhooks/{wid}", json={"oauth2": {"token_url": "https://127.0.0.1:9/t", "client_id": "api2"}})
    assert r.status_code == 200 and r.json()["oauth2"]["client_id"] == "api2" and r.json()["oauth2"]["client_secret"]
    r = api.patch(f"/v1/webhooks/{wid}", json={"client_cert": alice.cert_pem, "client_key": "nope"})
    assert r.status_code == 422 and r.json()["detail"].startswith("client_key: is not a PEM private key")
    r = api.patch(f"/v1/webhooks/{wid}", json={"oauth2": {"token_url": 5, "client_id": "c"}})
    assert r.status_code == 422 and "oauth2.token_url" in r.text


def test_dashboard_shows_them_masked_and_edits_oauth2_leaving_a_blank_secret_unchanged(api, write_key, alice):
    body = {"url": "https://127.0.0.1:9/h", "events": ["a.#"], "client_cert": alice.cert_pem,
            "client_key": alice.key_pem, "oauth2": {"token_url": "https://127.0.0.1:9/t?k=abcdefghijklmnopqrst1234",
            "client_id": "ui", "client_secret": SECRET}}  # fmt: skip
    wid = api.post("/v1/webhooks", json=body).json()["id"]
    login(api, write_key)
    page = api.get(f"/ui/webhooks/{wid}").text
    assert "CN=alice" in page and "…0042" in page and "k=…1234" in page and SECRET not in page
    form = api.get(f"/ui/webhooks/{wid}/edit").text
    assert 'name="oauth2_client_id" value="ui"' in form and SECRET not in form and "abcdefghij" not in form
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    fields = {"csrf": csrf, "name": "n", "url": "https://127.0.0.1:9/h", "events": "a.#", "branches": "main",
              "oauth2_token_url": "https://127.0.0.1:9/t?k=…1234", "oauth2_client_id": "ui2",
              "oauth2_client_auth": "body", "retry_policy": "auto"}  # fmt: skip
    r = api.post(f"/ui/webhooks/{wid}/edit", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    stored = get_webhook(wid)
    assert stored.oauth2 is not None and stored.oauth2.client_id == "ui2" and stored.oauth2.client_auth == "body"
    assert stored.oauth2.token_url.endswith("abcdefghijklmnopqrst1234") and stored.oauth2.client_secret_mask == "…0042"
