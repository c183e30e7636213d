"""The base of the app's pure ASGI middlewares (body limit, HEAD, security headers, the last-resort 500)."""

from __future__ import annotations

from typing import Any


class HttpMiddleware:
    """Wraps an ASGI app: HTTP requests go through `http`, anything else (lifespan) passes through untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Handle one HTTP request (a subclass's job)."""
        raise NotImplementedError
