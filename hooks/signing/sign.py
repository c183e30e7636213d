"""Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from hooks.models.webhook import SIGNING_KEY_PREFIX, secret_key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of the message with a `whsec_` secret."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_v1a(signing_key: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1a,<base64>` ed25519 signature of the message with a `whsk_` key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = base64.b64decode(signing_key.removeprefix(SIGNING_KEY_PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1a," + base64.b64encode(Ed25519PrivateKey.from_private_bytes(seed).sign(content)).decode()


def signature_header(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes,
                     signing_key: str | None = None) -> str:  # fmt: skip
    """The `webhook-signature` value: one entry per active secret (rotation grace), plus `v1a` if keyed."""
    entries = [sign(s, msg_id, timestamp, body) for s in secrets]
    if signing_key:
        entries.append(sign_v1a(signing_key, msg_id, timestamp, body))
    return " ".join(entries)


def standard_headers(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes,
                     signing_key: str | None = None) -> dict[str, str]:  # fmt: skip
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body, signing_key),
    }
