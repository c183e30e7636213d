"""The shop's configuration, as Flask's docs lay it out: a `config.py` at the app's root, loaded with
`app.config.from_object("config.Config")`.

A top-level module named `config` is what an app of this layout imports; hooks keeps its own settings in
`hooks.settings` and reads them from the environment (REDIS_URL, HOOKS_*), so the two never meet.
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def database_url() -> str:
    """The app's database from DATABASE_URL (SQLite beside this file by default), on the psycopg 3 driver for
    PostgreSQL: the relay's HOOKS_OUTBOX_URL is the same URL."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{HERE / 'shop.db'}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


class Config:
    """Flask's settings for the shop."""

    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    HOOKS_STACK = os.environ.get("SHOP_HOOKS_STACK", "shop")  # the stack the shop's events are published on
