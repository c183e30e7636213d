"""The include_name filter docs/flask.md and docs/fastapi.md give an app's Alembic: its autogenerate, on a database
that holds the outbox's tables, neither drops them nor sees them, and still sees the app's own changes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table

from hooks.outbox.schema import make_outbox_engine, migrate

DOCS = Path(__file__).resolve().parents[3] / "docs"


def documented_filter(page: str) -> str:
    """The python block of `page` that defines include_name."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)
    [block] = [b for b in blocks if "def include_name" in b]
    return block


def test_both_recipes_give_the_same_filter() -> None:
    assert documented_filter("flask.md") == documented_filter("fastapi.md")


@pytest.mark.parametrize("with_filter", [True, False])
def test_autogenerate_with_the_filter_leaves_the_outbox_tables_alone(tmp_path: Path, with_filter: bool) -> None:
    engine = make_outbox_engine(f"sqlite:///{tmp_path / 'app.db'}")
    migrate(engine)
    app = MetaData()
    Table("orders", app, Column("id", Integer, primary_key=True))  # the app's model, not yet in the database
    namespace: dict[str, Any] = {}
    exec(documented_filter("flask.md"), namespace)  # the docs' own code, as a reader pastes it
    opts = {"include_name": namespace["include_name"]} if with_filter else {}

    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), app)

    found = sorted((d[0], d[1].name) for d in diffs)
    dropped = [("remove_table", t) for t in ("hooks_outbox", "hooks_outbox_failed", "hooks_outbox_version")]
    assert found == sorted([("add_table", "orders")] + ([] if with_filter else dropped))
    engine.dispose()
