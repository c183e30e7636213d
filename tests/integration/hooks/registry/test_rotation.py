"""Secret rotation with a grace period, and ed25519 (v1a) signatures a receiver checks with a public key."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook as StandardVerifier
from standardwebhooks.webhooks import WebhookVerificationError

import hooks
from hooks.cli import main as cli
from hooks.models.webhook import OldSecret, generate_signing_key, public_key, utcnow
from hooks.signing.verify import verify
from tests.conftest import wait_for
from workers.attempt.attempt import request_headers

BODY = b'{"id":"evt_1"}'


def test_during_the_grace_both_secrets_verify_and_after_it_only_the_new_one(settings):
    wh = hooks.create_webhook("http://127.0.0.1:9/r", ["e"])
    rotated = hooks.rotate_secret(wh.id, grace_s=3600)
    assert rotated.secret != wh.secret and rotated.old_secrets[0].secret == wh.secret
    headers = request_headers(rotated, "msg_x", BODY, settings)
    for secret in (wh.secret, rotated.secret):
        StandardVerifier(secret).verify(BODY, headers)

    expired = rotated.model_copy(
        update={"old_secrets": [OldSecret(secret=wh.secret, expires_at=utcnow() - timedelta(seconds=1))]}
    )
    headers = request_headers(expired, "msg_x", BODY, settings)
    StandardVerifier(rotated.secret).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        StandardVerifier(wh.secret).verify(BODY, headers)


def test_rotation_without_grace_drops_the_old_secret_at_once(settings):
    wh = hooks.create_webhook("http://127.0.0.1:9/r", ["e"])
    rotated = hooks.rotate_secret(wh.id, grace_s=0)
    assert rotated.old_secrets == []
    assert len(request_headers(rotated, "m", BODY, settings)["webhook-signature"].split(" ")) == 1


def test_rotate_secret_command_prints_the_new_secret_once(settings, capsys):
    wh = hooks.create_webhook("http://127.0.0.1:9/r", ["e"])
    assert cli(["webhook", "rotate-secret", wh.id, "--grace", "2h"]) == 0
    new = hooks.get_webhook(wh.id)
    assert new.secret in capsys.readouterr().out
    assert abs(new.old_secrets[0].expires_at.timestamp() - (time.time() + 7200)) < 60
    assert cli(["webhook", "rotate-secret", wh.id, "--grace", "soon"]) == 2


@pytest.mark.usefixtures("worker")
def test_a_rotated_webhook_receives_both_signatures_end_to_end(settings, receiver):
    wh = hooks.create_webhook(receiver.url + "/rot", ["e"])
    rotated = hooks.rotate_secret(wh.id)
    hooks.publish_event("e", {})
    (req,) = wait_for(lambda: receiver.requests_to("/rot"))
    for secret in (wh.secret, rotated.secret):
        StandardVerifier(secret).verify(req.body, req.headers)


@pytest.mark.usefixtures("worker")
def test_ed25519_signed_requests_verify_with_the_public_key_only(settings, receiver):
    key = generate_signing_key()
    wh = hooks.create_webhook(receiver.url + "/v1a", ["e"], signing_key=key)
    hooks.publish_event("e", {})
    (req,) = wait_for(lambda: receiver.requests_to("/v1a"))
    assert "v1a," in req.headers["webhook-signature"]
    verify(public_key(key), req.headers, req.body)
    StandardVerifier(wh.secret).verify(req.body, req.headers)  # v1 still there for HMAC receivers
    with pytest.raises(hooks.ValidationError):
        verify(public_key(generate_signing_key()), req.headers, req.body)
    assert wh.public_dict()["public_key"].startswith("whpk_") and key not in str(wh.public_dict())
