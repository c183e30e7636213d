"""What is wrong with a request, in one sentence starting with the field's name, as ValidationError words it.

A body that cannot be read (not JSON, not UTF-8, a number Python will not read, nesting its parser gives up on)
is a 400 naming `body`; a readable value that breaks the schema is a 422 naming its field (`events`,
`retry.max_attempts`, never a list index or a byte offset).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from fastapi.exceptions import RequestValidationError

__all__ = ["body_unreadable", "request_errors", "schema_unreadable"]

FIELD_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\[\]-]*): ")
_LOCATIONS = ("body", "query", "path", "header", "cookie")
PARSE_FAILED = "There was an error parsing the body"  # FastAPI's HTTPException when json.loads raises


def schema_unreadable(exc: RequestValidationError) -> str | None:
    """The sentence of a body that is not JSON (FastAPI reports it as a schema error at a byte offset), else None."""
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            doc, pos = exc.body if isinstance(exc.body, str) else "", err.get("loc", ("body", 0))[-1]
            pos = pos if isinstance(pos, int) else 0
            line, column = doc.count("\n", 0, pos) + 1, pos - doc.rfind("\n", 0, pos)
            reason = (err.get("ctx") or {}).get("error", "cannot be parsed")
            return f"body: not valid JSON (line {line}, column {column}: {reason})."
    return None


def body_unreadable(cause: BaseException | None) -> str:
    """The sentence of a body json.loads gave up on with something other than a JSONDecodeError."""
    if isinstance(cause, UnicodeDecodeError):
        return f"body: not valid UTF-8 (byte {cause.start})."
    if isinstance(cause, RecursionError):
        return "body: nests too deeply to read."
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return f"body: a number has more than {sys.get_int_max_str_digits()} digits."
    return f"body: cannot be read ({type(cause).__name__})."


def request_errors(errors: list[Any]) -> list[dict[str, str]]:
    """A schema's errors as {field, detail} with ValidationError's one-sentence wording (hooks.models.rules)."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:] if where in _LOCATIONS else loc) or where
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        named = FIELD_RE.match(msg)
        if named:  # our own validators name the field already
            out.append({"field": named[1], "detail": msg.rstrip(".") + "."})
            continue
        out.append({"field": field, "detail": f"{field}: {msg[:1].lower()}{msg[1:].rstrip('.')}."})
    return out
