"""Verifying a webhook as a receiver: the Standard Webhooks check in a few lines, constant-time."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping

from hooks.errors import ValidationError
from hooks.signing import sign

TOLERANCE_S = 300


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Check a request's `webhook-*` headers against the secret; raises ValidationError if it is not genuine."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise ValidationError("headers: webhook-id, webhook-timestamp and webhook-signature are required.")
    if not ts.isdigit():
        raise ValidationError("webhook-timestamp: not an integer.")
    if abs((time.time() if now is None else now) - int(ts)) > TOLERANCE_S:
        raise ValidationError("webhook-timestamp: too far from now (more than 5 minutes).")
    expected = sign(secret, msg_id, int(ts), body).encode()
    for candidate in sigs.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise ValidationError("webhook-signature: no signature matches the secret.")
