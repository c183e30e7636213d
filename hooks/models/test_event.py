"""A test event ("send a test event"): its body and what its request got, shared by the API that asks for it
(hooks/api/ping.py) and the worker that sends it (workers/attempt/test_send.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from hooks.models.webhook import Webhook

TEST_EVENT = "hooks.test"
SEND_TEST_TASK = "workers.tasks.send_test"


@dataclass(frozen=True)
class TestResult:
    """What the test request got: a status and the start of the body, or the error's name."""

    ok: bool
    status_code: int | None
    duration_ms: float
    response: str
    error: str | None
    address: str | None
    webhook_message_id: str
    request_headers: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def test_body(webhook: Webhook, event_id: str, data: dict[str, Any] | None, event_type: str) -> bytes:
    """The test event's JSON, shaped as a delivery's full body."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    branch = next((b for b in webhook.branches if b != "*"), "main")
    event = {"id": event_id, "type": event_type, "timestamp": now, "stack": webhook.stack, "branch": branch,
             "data": data if data is not None else {"test": True, "message": "a test event from the hooks API"}}  # fmt: skip
    return json.dumps(event, separators=(",", ":")).encode()
