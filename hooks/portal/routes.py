"""The portal's routes under /portal: sign-in by link (login.py), the theme's stylesheet (theme.py), the
endpoints' pages (endpoints.py), the delivery log, retry/replay and the chart (log.py). Every page takes the stack
from the session, never from the request. Static files: /portal/static (mounted by hooks/api/app.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from hooks.portal import endpoints, log, login, theme

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(prefix="/portal", include_in_schema=False)
router.include_router(login.router)
router.include_router(theme.router)
router.include_router(endpoints.router)
router.include_router(log.router)
