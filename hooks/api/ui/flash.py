"""Flash notes: the one line saying what a dashboard action did, shown once, on the page the action leads to.

`back(url, note)` (render.py) puts the note in a cookie (`hooks_note`: HttpOnly, SameSite=Strict, under /ui,
60 s) signed with the server secret (hooks/api/signing.py) together with the session that acted; `page()` shows
it only when the signature verifies for the session that views it, and clears it, so a reload does not show it
again. A note thus always comes from the server: `?note=` in a URL is ignored, a cookie tossed by a page of
another origin does not verify, nor does a note the attacker's own session was given. The session that acts is
the one `session_of` found for the request (every action calls it before `back`), kept in a context variable.
"""

from __future__ import annotations

import base64
import binascii
from contextvars import ContextVar

from fastapi import Request, Response

from hooks.api.signing import sign, verify
from hooks.api.ui.session import Session, clear_cookie, https, put_cookie, read_cookie
from hooks.settings import get_settings

COOKIE = "hooks_note"
TTL_S = 60
MAX_CHARS = 300
PURPOSE = "note"
_acting: ContextVar[tuple[str, bool]] = ContextVar("hooks_ui_acting", default=("", False))


def acting(request: Request, session: Session) -> None:
    """Remember the session this request acts for (and whether it came over https) until its note is put."""
    _acting.set((session.token_hash, https(request)))


def put(response: Response, note: str) -> None:
    """Set the signed note cookie on `response` (a redirect after an action)."""
    session_hash, secure = _acting.get()
    text = note[:MAX_CHARS]
    encoded = base64.urlsafe_b64encode(text.encode()).decode()
    put_cookie(response, secure, COOKIE, f"{encoded}.{sign(get_settings(), PURPOSE, session_hash, text)}", TTL_S)


def take(request: Request, session: Session | None) -> str | None:
    """The note of the request's cookie if its signature verifies for `session`, else None."""
    value = read_cookie(request, COOKIE)
    if not value or "." not in value or len(value) > 4 * MAX_CHARS + 100:
        return None
    encoded, mac = value.split(".", 1)
    try:
        text = base64.urlsafe_b64decode(encoded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    ok = verify(get_settings(), mac, PURPOSE, session.token_hash if session else "", text)
    return text if ok else None


def clear(request: Request, response: Response) -> None:
    """Remove the note cookie, if the request had one (it is shown once)."""
    if read_cookie(request, COOKIE) is not None:
        clear_cookie(response, request, COOKIE)
