"""Bounded request bodies: a pure ASGI middleware that refuses a body over HOOKS_API_MAX_BODY_BYTES with 413.

A declared Content-Length over the limit is refused before anything is read; a chunked body is counted as it
arrives and refused at the first byte over it.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException

from hooks.api.asgi import HttpMiddleware
from hooks.api.problems import problem

TOO_LARGE = "body: the request body is larger than {} bytes (HOOKS_API_MAX_BODY_BYTES)."


class BodyLimit(HttpMiddleware):
    """Wraps an ASGI app; HTTP requests whose body exceeds `max_bytes` get a 413 problem."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await problem(413, TOO_LARGE.format(self.max_bytes))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, TOO_LARGE.format(self.max_bytes))
            return message

        await self.app(scope, counted, send)
