"""HEAD is GET without the body (RFC 9110 9.3.2), on every route: FastAPI routes a GET route's HEAD to a 405."""

from __future__ import annotations

from typing import Any

from hooks.api.asgi import HttpMiddleware

HEAD_MARK = "hooks.head"


class HeadAsGet(HttpMiddleware):
    """Wraps an ASGI app: a HEAD request is routed as GET and its answer sent with the same status and headers
    (Content-Length included), without the body; the scope says `hooks.head` (HEAD_MARK)."""

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # a copy: the server's scope says HEAD; `hooks.head` tells a route that must not act on a HEAD (the one-time
        # secret page) that this GET is one
        await self.app({**scope, "method": "GET", HEAD_MARK: True}, receive, without_body)
