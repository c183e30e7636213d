"""Our signatures are Standard Webhooks signatures: the official verifier accepts them, rotation included."""

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook as StandardVerifier
from standardwebhooks.webhooks import WebhookVerificationError

from hooks.errors import ValidationError
from hooks.models.webhook import generate_secret
from hooks.signing.sign import sign, standard_headers
from hooks.signing.verify import verify

BODY = json.dumps({"id": "evt_1", "type": "a.b", "data": {"x": "é"}}, ensure_ascii=False).encode()


def test_the_official_verifier_accepts_our_headers():
    secret = generate_secret()
    headers = standard_headers([secret], "msg_1", int(time.time()), BODY)
    assert StandardVerifier(secret).verify(BODY, headers)["type"] == "a.b"


def test_a_known_vector_from_the_standard_webhooks_spec():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_during_rotation_both_secrets_verify():
    old, new = generate_secret(), generate_secret()
    headers = standard_headers([new, old], "msg_1", int(time.time()), BODY)
    assert " " in headers["webhook-signature"]
    for secret in (old, new):
        StandardVerifier(secret).verify(BODY, headers)


def test_a_tampered_body_fails_both_verifiers():
    secret = generate_secret()
    headers = standard_headers([secret], "msg_1", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        StandardVerifier(secret).verify(BODY + b" ", headers)
    with pytest.raises(ValidationError):
        verify(secret, headers, BODY + b" ")


def test_our_verifier_refuses_a_stale_timestamp():
    secret = generate_secret()
    headers = standard_headers([secret], "msg_1", int(time.time()) - 600, BODY)
    with pytest.raises(ValidationError, match="too far"):
        verify(secret, headers, BODY)


def test_the_readmes_short_name_for_receivers_verifies_and_rejects():
    import hooks.verify

    secret = generate_secret()
    headers = standard_headers([secret], "msg_1", int(time.time()), BODY)
    hooks.verify.verify(secret, headers, BODY)  # as the README writes it: hooks.verify.verify(secret, headers, body)
    with pytest.raises(ValidationError):
        hooks.verify.verify(secret, headers, BODY + b" ")
