"""Security headers on every response of the app: a pure ASGI middleware (installed in hooks/api/app.py).

- `Content-Security-Policy`: scripts, styles, images and fetches from this origin only (no inline script or
  style attribute anywhere: the dashboard's behaviour lives in static/app.js, /docs starts with static/docs.js),
  forms post to this origin only, and no other page may frame ours (`frame-ancestors 'none'`, clickjacking);
- `X-Frame-Options: DENY` for browsers without frame-ancestors, `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: same-origin` (a dashboard URL, with its ids and filters, never leaves for another site);
- `Cache-Control: no-store` on the dashboard's and the portal's pages (/ui/ and /portal/ but their static files):
  they show operational data, and the one-time secret pages a secret, behind a login; neither a shared cache nor
  the browser's Back may keep them.

Under /portal (the customers' portal, hooks/portal/) the CSP differs in two places only: `frame-ancestors` lists
the origins of HOOKS_PORTAL_FRAME_ANCESTORS (the product's app embeds the portal in an iframe; unset: 'none'),
with no X-Frame-Options then (DENY would refuse those origins too, and ALLOW-FROM is dead), and a portal page
with a logo adds the logo's origin to `img-src` (`portal_csp`, set by hooks/portal/render.py `page`).

A response that sets one of these itself keeps its own value.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders

from hooks.api.asgi import HttpMiddleware
from hooks.settings import Settings, get_settings

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


def portal_path(path: str) -> bool:
    """Whether `path` is the portal's (its pages, sign-in and static files)."""
    return path == "/portal" or path.startswith("/portal/")


def portal_csp(settings: Settings, logo_origin: str = "") -> str:
    """The portal's CSP: the strict one, framed only by HOOKS_PORTAL_FRAME_ANCESTORS, images also from the logo's
    origin when there is a logo."""
    ancestors = " ".join(settings.portal_ancestors) or "'none'"
    csp = CSP.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    return csp.replace("img-src 'self' data:", f"img-src 'self' data: {logo_origin}") if logo_origin else csp


def portal_headers(settings: Settings) -> dict[str, str]:
    """HEADERS for a portal response: its CSP; X-Frame-Options only when no origin may frame it."""
    headers = {**HEADERS, "Content-Security-Policy": portal_csp(settings)}
    if settings.portal_ancestors:
        del headers["X-Frame-Options"]
    return headers


class SecurityHeaders(HttpMiddleware):
    """Wraps an ASGI app; adds the headers above to every HTTP response it sends."""

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        no_store = private_page(path) or (portal_path(path) and not path.startswith("/portal/static/"))
        added = portal_headers(get_settings()) if portal_path(path) else HEADERS

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", NO_STORE)
            await send(message)

        await self.app(scope, receive, with_headers)
