"""Opaque, URL-safe page cursors: the (time, id) of the last row shown, and which listing it belongs to."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from hooks.errors import UnreadableError
from hooks.history.times import EPOCH

__all__ = ["MAX_CURSOR", "decode_cursor", "encode_cursor", "not_handed_out"]

MAX_CURSOR = 512  # characters: the longest cursor a listing hands out is well under it


def not_handed_out() -> UnreadableError:
    """The error of a cursor that no listing handed out (changed, cut, made up)."""
    return UnreadableError("cursor: not a cursor this listing handed out.")


def encode_cursor(listing: str, at: datetime, row_id: str) -> str:
    """The cursor after the row (`at`, `row_id`) of `listing` (microseconds, so no row is skipped or repeated)."""
    micros = (at - EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{listing}|{micros}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str) -> tuple[datetime, str]:
    """The (time, id) a cursor of `listing` holds; raises UnreadableError (a ValidationError) for anything else."""
    if len(cursor) > MAX_CURSOR:
        raise not_handed_out()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, micros, row_id = raw.split("|", 2)
        at = EPOCH + timedelta(microseconds=int(micros))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise not_handed_out() from None
    if kind != listing or not row_id:
        raise not_handed_out()
    return at, row_id
