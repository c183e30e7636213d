"""The history's public API: what `hooks.history` exports, pinned so a change to it is a decision."""

from __future__ import annotations

import hooks.history

EXPECTED = {
    "AttemptRecord", "DeliveryDetail", "DeliveryRecord", "EventDetail", "EventRecord", "SchemaError", "WriteResult",
    "check_schema", "current_revision", "dlq_ids_page", "downgrade", "drop_expired", "ensure_ahead",
    "ensure_partitions", "erase_event", "erase_stack", "get_delivery", "get_event", "list_dead", "list_deliveries",
    "list_events", "make_engine", "mark_purged", "mark_replayed", "upgrade", "write_batch",
}  # fmt: skip


def test_the_history_exports_exactly_its_public_api() -> None:
    assert set(hooks.history.__all__) == EXPECTED
    assert all(hasattr(hooks.history, name) for name in EXPECTED)


def test_every_public_function_has_a_one_line_docstring() -> None:
    for name in EXPECTED:
        doc = getattr(hooks.history, name).__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), name
