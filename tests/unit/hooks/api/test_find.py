"""The dashboard's webhook list sorted by health (hooks.api.ui.find.by_health)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hooks.api.ui.find import by_health


def _health(rate: float | None) -> dict[str, Any]:
    return {"windows": {"1h": {"attempt_success_rate": rate}}, "breaker": {"state": "closed"}}


def test_success_worst_first_puts_a_webhook_failing_every_attempt_first():
    hooks = [SimpleNamespace(id=i, name=n) for i, n in (("1", "a-quiet"), ("2", "b-half"), ("3", "c-down"))]
    health = {"1": _health(None), "2": _health(0.5), "3": _health(0.0)}
    assert [w.name for w in by_health(hooks, health, "success", "")] == ["c-down", "b-half", "a-quiet"]  # type: ignore[arg-type]
