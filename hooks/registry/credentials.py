"""Check and seal what a webhook is given to prove who calls: an mTLS certificate and key, OAuth2 client credentials.

`create_webhook`/`update_webhook` take `client_cert`, `client_key` (PEM) and `client_key_password`, and `oauth2`
(token_url, client_id, client_secret, scope, audience, client_auth); `stored_credentials` turns them into the
webhook's `mtls` and `oauth2` fields, secrets sealed under HOOKS_ENCRYPTION_KEY. Every refusal is one sentence naming
the field, and never holds the secret.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pydantic

from hooks.errors import ValidationError
from hooks.models.credentials import ClientCertificate, OAuth2Client, OAuth2Input
from hooks.models.rules import from_pydantic
from hooks.models.webhook import Webhook, mask
from hooks.sealed import seal
from hooks.settings import Settings

INPUTS = ("client_cert", "client_key", "client_key_password", "oauth2")
_MAX_PEM = 64 * 1024
CLIENT_KEY = "client key"  # the purposes sealed values are bound to (hooks/sealed.py)
CLIENT_SECRET = "oauth2 client secret"


def stored_credentials(changes: dict[str, Any], old: Webhook | None, settings: Settings) -> dict[str, Any]:
    """`changes` with the credential inputs replaced by the stored `mtls` and `oauth2` fields; raises
    ValidationError. On an update (`old`), an OAuth2 client secret left out keeps the stored one."""
    if "mtls" in changes:
        raise ValidationError("mtls: is set with client_cert and client_key, not directly.")
    out = {k: v for k, v in changes.items() if k not in INPUTS}
    if any(k in changes for k in ("client_cert", "client_key", "client_key_password")):
        out["mtls"] = _mtls(changes, settings)
    if "oauth2" in changes:
        out["oauth2"] = _oauth2(changes["oauth2"], old, settings)
    return out


def _mtls(changes: dict[str, Any], settings: Settings) -> ClientCertificate | None:
    cert, key = changes.get("client_cert"), changes.get("client_key")
    if cert is None:
        if key is not None:
            raise ValidationError("client_cert: is required with client_key.")
        return None  # removed
    if key is None:
        raise ValidationError("client_key: is required with client_cert.")
    if not settings.encryption_keys:
        raise ValidationError("client_key: cannot be stored: HOOKS_ENCRYPTION_KEY is not set (base64 of 32 bytes).")
    return client_certificate(_pem(cert, "client_cert"), _pem(key, "client_key"),
                              changes.get("client_key_password"), settings)  # fmt: skip


def client_certificate(cert_pem: bytes, key_pem: bytes, password: Any, settings: Settings) -> ClientCertificate:
    """A checked certificate (parses, in date) with its key (parses, opens, matches), the key sealed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        chain = x509.load_pem_x509_certificates(cert_pem)
    except ValueError:
        raise ValidationError("client_cert: is not a PEM certificate.") from None
    leaf, now = chain[0], datetime.now(timezone.utc)
    if leaf.not_valid_after_utc <= now:
        raise ValidationError(f"client_cert: expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.")
    if leaf.not_valid_before_utc > now:
        raise ValidationError(f"client_cert: is not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    key = _private_key(key_pem, password)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        raise ValidationError("client_key: does not match client_cert (it is the key of another certificate).")
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())  # fmt: skip
    return ClientCertificate(
        cert_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain),
        key_sealed=seal(plain, CLIENT_KEY, settings.encryption_keys),
        subject=leaf.subject.rfc4514_string(), issuer=leaf.issuer.rfc4514_string(),
        not_after=leaf.not_valid_after_utc, fingerprint_sha256=leaf.fingerprint(hashes.SHA256()).hex(),
    )  # fmt: skip


def _private_key(key_pem: bytes, password: Any) -> Any:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    if password is not None and not isinstance(password, str):
        raise ValidationError("client_key_password: must be a string.")
    secret = password.encode() if password else None
    try:
        return serialization.load_pem_private_key(key_pem, password=secret)
    except TypeError:  # encrypted without a password, or a password for a key that is not encrypted
        if secret is None:
            raise ValidationError("client_key: is encrypted; give its passphrase (client_key_password).") from None
        return _private_key(key_pem, None)
    except (ValueError, UnsupportedAlgorithm):
        if secret is not None:
            raise ValidationError("client_key: does not open with client_key_password (or is not a PEM key).") from None
        raise ValidationError("client_key: is not a PEM private key.") from None


def _pem(value: Any, field: str) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8", "replace")
    if not isinstance(value, bytes):
        raise ValidationError(f"{field}: must be PEM text.")
    if len(value) > _MAX_PEM:
        raise ValidationError(f"{field}: must be at most {_MAX_PEM // 1024} KB.")
    return value


def _oauth2(value: Any, old: Webhook | None, settings: Settings) -> OAuth2Client | None:
    if value is None:
        return None
    try:
        given = OAuth2Input.model_validate(value.model_dump() if isinstance(value, pydantic.BaseModel) else value)
    except pydantic.ValidationError as exc:
        raise ValidationError(str(from_pydantic(exc, "oauth2.")).replace("oauth2.oauth2.", "oauth2.")) from None
    fields = given.model_dump(exclude={"client_secret"})
    if given.client_secret is None:
        if old is None or old.oauth2 is None:
            raise ValidationError("oauth2.client_secret: is required.")
        kept = old.oauth2
        return OAuth2Client(**fields, client_secret_sealed=kept.client_secret_sealed,
                            client_secret_mask=kept.client_secret_mask)  # fmt: skip
    if not settings.encryption_keys:
        raise ValidationError("oauth2.client_secret: cannot be stored: HOOKS_ENCRYPTION_KEY is not set.")
    return OAuth2Client(**fields, client_secret_mask=mask(given.client_secret),
                        client_secret_sealed=seal(given.client_secret.encode(), CLIENT_SECRET,
                                                  settings.encryption_keys))  # fmt: skip
