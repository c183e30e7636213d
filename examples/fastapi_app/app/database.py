"""The app's database (DATABASE_URL, SQLite beside the app by default) and the session one request uses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

HERE = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """DATABASE_URL on the psycopg 3 driver for PostgreSQL; the relay's HOOKS_OUTBOX_URL is the same URL."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{HERE / 'shop.db'}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


engine = create_engine(database_url(), pool_pre_ping=True)
SessionLocal = sessionmaker(engine)


class Base(DeclarativeBase):
    pass


def get_session() -> Iterator[Session]:
    """A session in one transaction per request: committed when the route returns, rolled back when it raises."""
    with SessionLocal() as session, session.begin():
        yield session


# scope="function": the commit runs when the route returns, before the response is sent, so a 201 means the order
# and its event are committed and a failed commit is the client's 500. (The default scope, "request", runs it
# after the response has gone out.)
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
