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
        loc = list(err.get("loc", ()))
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        # a list index is not a field, nor the tag pydantic puts after a discriminated union (auth.basic.password)
        parts = [
            str(p) for i, p in enumerate(loc) if not isinstance(p, int) and not (i and p in _TAGS.get(loc[i - 1], ()))
        ]
        field = ".".join(parts) or "body"
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        named = FIELD_RE.match(msg)
        if named:  # our own validators name the field already
            out.append({"field": named[1], "detail": msg.rstrip(".") + "."})
            continue
        msg = _said(err, msg)
        out.append({"field": field, "detail": f"{field}: {msg[:1].lower()}{msg[1:].rstrip('.')}."})
    return out


def _said(err: dict[str, Any], msg: str) -> str:
    """Pydantic's message of an error, said as a rule of the field ("must be true or false")."""
    kind = str(err.get("type", ""))
    if kind in _SAID:
        return _SAID[kind]
    if kind.startswith("union_tag"):
        ctx = err.get("ctx") or {}
        tags = f" ({ctx['expected_tags']})" if "expected_tags" in ctx else ""
        return f"must be an object whose {ctx.get('discriminator', 'type')} says which kind it is{tags}"
    return msg.replace("Input should be", "must be").replace("String should", "must").replace("Value should", "must")


_SAID = {
    "missing": "is required",
    "extra_forbidden": "is not a field this request takes",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a list",
}
_TAGS = {"auth": ("basic", "bearer")}  # the discriminated unions of the request bodies: field -> its tags
