"""Security headers on every response of the app: a pure ASGI middleware (installed in hooks/api/app.py).

- `Content-Security-Policy`: scripts, styles, images and fetches from this origin only (no inline script or
  style attribute anywhere: the dashboard's behaviour lives in static/app.js, /docs starts with static/docs.js),
  forms post to this origin only, and no other page may frame ours (`frame-ancestors 'none'`, clickjacking);
- `X-Frame-Options: DENY` for browsers without frame-ancestors, `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: same-origin` (a dashboard URL, with its ids and filters, never leaves for another site);
- `Cache-Control: no-store` on the dashboard's pages (/ui/ but its static files): they show operational data, and
  the one-time secret page a secret, behind a login; neither a shared cache nor the browser's Back may keep them.

A response that sets one of these itself keeps its own value.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders

from hooks.api.asgi import HttpMiddleware

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NO_STORE = "no-store"


def private_page(path: str) -> bool:
    """Whether `path` is a dashboard page (not one of its static files), which no cache may keep."""
    return (path == "/ui" or path.startswith("/ui/")) and not path.startswith("/ui/static/")


class SecurityHeaders(HttpMiddleware):
    """Wraps an ASGI app; adds the headers above to every HTTP response it sends."""

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        no_store = private_page(scope.get("path", ""))

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", NO_STORE)
            await send(message)

        await self.app(scope, receive, with_headers)
