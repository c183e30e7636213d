"""The portal's look, set by the product so the portal looks like its app: a logo and a primary color.

HOOKS_PORTAL_LOGO_URL and HOOKS_PORTAL_PRIMARY_COLOR set it for every link; a link may override either
(`portal_url(..., logo_url=, primary_color=)`), and its session keeps the override. The color reaches the page
without inline style (the CSP forbids it): the page links /portal/theme.css?c=rrggbb, a stylesheet of one rule
that sets the dashboard's `--accent` custom property. The logo's origin is added to the page's `img-src`
(hooks/api/security.py `portal_csp`), nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import APIRouter, Response

from hooks.settings import Settings
from hooks.settings.portal import check_color, check_logo_url

__all__ = ["Theme", "check_color", "check_logo_url", "logo_origin", "of", "router"]

router = APIRouter()
HEX = re.compile(r"[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Theme:
    """A page's logo URL ('' for none) and primary color ('' for the default)."""

    logo_url: str = ""
    color: str = ""


def of(settings: Settings, logo_url: str = "", color: str = "") -> Theme:
    """A session's theme: its own values, else the settings'."""
    return Theme(logo_url or settings.portal_logo_url or "", color or settings.portal_primary_color or "")


def logo_origin(url: str) -> str:
    """The origin of a logo URL, for img-src ('' when there is no logo)."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


@router.get("/theme.css")
def theme_css(c: str = "") -> Response:
    """The accent color as a stylesheet (any bad or missing value: an empty one, the default look)."""
    body = f":root {{ --accent: #{c.lower()}; }}\n" if HEX.fullmatch(c) else "/* default theme */\n"
    return Response(body, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})
