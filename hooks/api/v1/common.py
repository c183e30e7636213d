"""What every /v1 router shares: page sizes, times in and out, pages and deliveries as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import StrictStr, ValidatorFunctionWrapHandler, WrapValidator
from pydantic import ValidationError as SchemaError
from pydantic_core import PydanticCustomError

from hooks.api.sealed_cursors import open_cursor, seal_cursor
from hooks.errors import ValidationError
from hooks.models.times import delivery_json, iso, parse_time
from hooks.settings import get_settings

__all__ = ["Cursor", "StrList", "StrMap", "delivery_json", "iso", "limit_of", "opened", "page_json", "when"]

Cursor = Annotated[str | None, Query(description="The `next_cursor` of the page before (anything else is a 400).")]


def limit_of(limit: int) -> int:
    """`limit` if it is a page size this API serves; raises ValidationError (bounded by HOOKS_API_MAX_PAGE_SIZE)."""
    most = get_settings().api_max_page_size
    if not 1 <= limit <= most:
        raise ValidationError(f"limit: must be an integer from 1 to {most}.")
    return limit


def when(text: str | None, field: str, *, now: float | None = None) -> float | None:
    """Unix seconds from ISO 8601 (UTC unless an offset is given), Unix seconds, or an age like 30m, 2h, 7d."""
    if text is None or text == "":
        return None
    return parse_time(text, field=field, now=now, unix=True)


def opened(stack: str | None, listing: str, cursor: str | None) -> str | None:
    """The plain cursor of a request's `cursor` (sealed when the key is bound to `stack`: hooks/api/sealed_cursors.py);
    raises UnreadableError (400) for one this listing did not hand to this caller."""
    return open_cursor(stack, listing, cursor)


def page_json(page: Any, item: Any, *, stack: str | None = None, listing: str = "") -> dict[str, Any]:
    """A listing page: `{"items": [...], "next_cursor": ...}` (null on the last page), the cursor sealed for a key
    bound to `stack` (so it never holds an id of another stack that the page passed over)."""
    return {"items": [item(x) for x in page], "next_cursor": seal_cursor(stack, listing, page.next_cursor)}


def _as_one(message: str) -> WrapValidator:
    """A type whose every error, at any depth, is one message about the whole field (`events: must be a list of
    strings.`, not `events.3: ...`)."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except SchemaError:
            raise PydanticCustomError("typed", message) from None

    return WrapValidator(check)


StrList = Annotated[list[StrictStr], _as_one("must be a list of strings")]
StrMap = Annotated[dict[StrictStr, StrictStr], _as_one("must be an object of strings")]
