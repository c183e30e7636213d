"""Secrets at rest: client keys, OAuth2 client secrets and tokens sealed with AES-256-GCM under HOOKS_ENCRYPTION_KEY.

HOOKS_ENCRYPTION_KEY holds one or more keys (base64 of 32 random bytes, comma-separated): the first seals, every
one opens, so a key is rotated by putting the new one first, re-saving the secrets (`hooks webhook update` with
them again) and dropping the old one. A sealed value is `v1.<key id>.<base64url(nonce + ciphertext)>`; the key id
(8 hex digits of the key's SHA-256) picks the key, and the associated data (`purpose`) binds a value to what it is,
so a sealed token cannot be passed off as a client key. AES-GCM (from `cryptography`, already a dependency) is
authenticated: a value changed at rest does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from functools import lru_cache

from hooks.errors import ConfigurationError
from hooks.settings.keys import parse_keys

__all__ = ["generate_key", "parse_keys", "seal", "unseal"]

_VERSION = "v1"


def generate_key() -> str:
    """A new key for HOOKS_ENCRYPTION_KEY."""
    return base64.b64encode(os.urandom(32)).decode()


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@lru_cache(maxsize=16)
def _ciphers(keys: tuple[bytes, ...]) -> dict[str, object]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return {_key_id(k): AESGCM(k) for k in keys}


def seal(plain: bytes, purpose: str, keys: tuple[bytes, ...]) -> str:
    """`plain` encrypted under the first key, bound to `purpose`; raises ConfigurationError without a key."""
    if not keys:
        raise ConfigurationError("HOOKS_ENCRYPTION_KEY: not set; it is needed to store client keys and secrets.")
    kid = _key_id(keys[0])
    nonce = os.urandom(12)
    sealed = _ciphers(keys)[kid].encrypt(nonce, plain, purpose.encode())  # type: ignore[attr-defined]
    return f"{_VERSION}.{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(value: str, purpose: str, keys: tuple[bytes, ...]) -> bytes:
    """The plain bytes of a sealed value; raises ConfigurationError when no key of the settings opens it (the key
    it was sealed with was removed, or the value was changed); the message never holds the value."""
    version, _, rest = value.partition(".")
    kid, _, data = rest.partition(".")
    cipher = _ciphers(keys).get(kid)
    if version != _VERSION or cipher is None:
        raise ConfigurationError(f"HOOKS_ENCRYPTION_KEY: no key opens a stored {purpose} (key id {kid[:8]!r}).")
    from cryptography.exceptions import InvalidTag

    try:
        raw = base64.urlsafe_b64decode(data)
        return bytes(cipher.decrypt(raw[:12], raw[12:], purpose.encode()))  # type: ignore[attr-defined]
    except (InvalidTag, binascii.Error, ValueError):
        raise ConfigurationError(f"HOOKS_ENCRYPTION_KEY: a stored {purpose} does not open (changed?).") from None
