"""Verifying a webhook as a receiver: the Standard Webhooks check in a few lines, constant-time."""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Mapping

from hooks.errors import ValidationError
from hooks.signing.sign import sign

TOLERANCE_S = 300


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Check a request's `webhook-*` headers against a `whsec_` secret (v1) or a `whpk_` public key (v1a).

    Raises ValidationError if the request is not genuine or its timestamp is more than 5 minutes away.
    """
    msg_id, ts, sigs = _parts(headers, now)
    if secret.startswith("whpk_"):
        _verify_v1a(secret, msg_id, ts, body, sigs)
        return
    expected = sign(secret, msg_id, ts, body).encode()
    for candidate in sigs:
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise ValidationError("webhook-signature: no signature matches the secret.")


def _parts(headers: Mapping[str, str], now: float | None) -> tuple[str, int, list[str]]:
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise ValidationError("headers: webhook-id, webhook-timestamp and webhook-signature are required.")
    if not ts.isdigit():
        raise ValidationError("webhook-timestamp: not an integer.")
    if abs((time.time() if now is None else now) - int(ts)) > TOLERANCE_S:
        raise ValidationError("webhook-timestamp: too far from now (more than 5 minutes).")
    return msg_id, int(ts), sigs.split(" ")


def _verify_v1a(public_key: str, msg_id: str, ts: int, body: bytes, sigs: list[str]) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
    content = f"{msg_id}.{ts}.".encode() + body
    for candidate in sigs:
        if candidate.startswith("v1a,"):
            try:
                key.verify(base64.b64decode(candidate[4:]), content)
                return
            except (InvalidSignature, ValueError):
                continue
    raise ValidationError("webhook-signature: no v1a signature matches the public key.")
