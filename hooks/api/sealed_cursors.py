"""Cursors handed to a key bound to a stack are sealed, so a cursor never shows a tenant an id it was not shown.

A listing's cursor is the keyset of where the next page starts: the last row shown, or, when a stack's scan of
the Redis index stops after its budget (hooks/deliveries/query.py), the last id read, which is then another
stack's delivery (its event's and webhook's ids). Plain cursors are base64 (hooks/history/cursors.py), readable
by anyone; for a bound key every /v1 listing (deliveries, dlq, events, webhooks) hands out the cursor encrypted
and authenticated (AES-256-GCM) under a key derived from the API's server secret (hooks/api/signing.py), with the
listing and the stack as associated data, and opens it on the way in: a cursor changed, made up, of another
listing or of another stack's key is the usual 400 (`not_handed_out`). Global keys (operators, who see every
stack) keep the plain cursors. Deleting the server secret invalidates sealed cursors in flight: a 400, then the
client starts over from the first page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hooks.api.signing import server_secret
from hooks.history.cursors import MAX_CURSOR, not_handed_out
from hooks.settings import Settings, get_settings

__all__ = ["open_cursor", "seal_cursor"]

_NONCE = 12


def _cipher(settings: Settings) -> AESGCM:
    """AES-GCM under a key of its own, derived from the server secret (never the secret itself)."""
    return AESGCM(hmac.new(server_secret(settings), b"hooks cursor seal v1", hashlib.sha256).digest())


def _bound(listing: str, stack: str) -> bytes:
    return json.dumps(["cursor", listing, stack]).encode()


def seal_cursor(stack: str | None, listing: str, cursor: str | None, settings: Settings | None = None) -> str | None:
    """`cursor` as handed to a caller bound to `stack` (sealed), or as it is for a global caller (stack None)."""
    if stack is None or cursor is None:
        return cursor
    s = settings or get_settings()
    nonce = os.urandom(_NONCE)
    sealed = _cipher(s).encrypt(nonce, cursor.encode(), _bound(listing, stack))
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_cursor(stack: str | None, listing: str, cursor: str | None, settings: Settings | None = None) -> str | None:
    """The plain cursor of one `seal_cursor` handed to `stack`'s caller for `listing` (a global caller's as it is);
    raises UnreadableError (400 `cursor`) for any other."""
    if stack is None or cursor is None:
        return cursor
    if len(cursor) > 2 * MAX_CURSOR:
        raise not_handed_out()
    s = settings or get_settings()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return _cipher(s).decrypt(raw[:_NONCE], raw[_NONCE:], _bound(listing, stack)).decode()
    except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
        raise not_handed_out() from None
