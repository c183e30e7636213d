"""The portal's routes under /portal: sign-in by link and the endpoints' pages (endpoints.py), the delivery log,
retry/replay and the chart (log.py). Every page takes the stack from the session, never from the request."""

from __future__ import annotations

from fastapi import APIRouter

from hooks.portal import endpoints, log

router = APIRouter(prefix="/portal", include_in_schema=False)
router.include_router(endpoints.router)
router.include_router(log.router)
