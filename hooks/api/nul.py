"""No NUL character in any string the API takes: PostgreSQL text cannot hold one, so a `\\0` that reached the
history database ended as a 500. `refuse_nul` (a dependency of every route) checks the path, the query, a form
and a JSON body once, before any route reads them; `data_refused` turns a DataError that got past it anyway into
a 422 (the app's backstop)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from sqlalchemy.exc import DataError

from hooks.api.request_errors import FIELD_RE
from hooks.errors import ValidationError

__all__ = ["data_refused", "refuse_nul"]

NUL = "\x00"
_FORM = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_nul(request: Request) -> None:
    """Raise ValidationError "FIELD: must not contain a NUL character." for the first string holding one."""
    _check(request.path_params.items())
    _check(request.query_params.multi_items())
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in _FORM:
        form = await request.form()
        _check((k, v) for k, v in form.multi_items() if isinstance(v, str))
    elif request.method not in ("GET", "HEAD") and b"\\u0000" in (body := await request.body()):
        try:  # a raw NUL is not valid JSON (the route says so); only the escape `\u0000` makes one
            document = json.loads(body)
        except (ValueError, RecursionError):
            return  # unreadable: the route's own parsing answers 400
        _walk(document, "")


def _check(items: Any) -> None:
    """Refuse the first (name, value) pair whose name or value holds a NUL."""
    for name, value in items:
        if NUL in name or NUL in value:
            raise _refused(name)


def _walk(value: Any, field: str) -> None:
    """Refuse the first string (a key or a value) holding a NUL in a JSON document; lists add no name."""
    if isinstance(value, str) and NUL in value:
        raise _refused(field or "body")
    if isinstance(value, list):
        for item in value:
            _walk(item, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                raise _refused(field or "body")
            _walk(item, f"{field}.{key}" if field else key)


def _refused(field: str) -> ValidationError:
    """The sentence naming the field (`request` when its name is not one a sentence can start with)."""
    if not FIELD_RE.match(f"{field}: "):
        field = "request"
    return ValidationError(f"{field}: must not contain a NUL character.")


def data_refused(exc: DataError) -> ValidationError:
    """A value PostgreSQL refused (a NUL, a number out of its range) as a 422: the request, not the server, is wrong."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0].rstrip(".")[:200]
    return ValidationError(f"request: a value the history database cannot store ({reason}).")
