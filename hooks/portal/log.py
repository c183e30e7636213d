"""The portal's log pages (to be filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
