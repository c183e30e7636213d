"""Celery task messages written straight into Redis, so that they can share a pipeline or a Lua script, and so
that `hooks` sends tasks to the workers without importing them (a test send: hooks/api/ping.py).

Whatever makes work ready (`publish_event`, the fan-out, the scheduler) must start a drain in the same atomic
Lua call when none is free to take it (hooks/store/includes/kick.lua). Celery's `apply_async` cannot run inside a script, so we
write the message exactly as kombu's Redis transport would (Celery protocol 2, JSON) and push it on the
list named after the queue. The body is left unencoded (kombu decodes a message without `body_encoding` as
is), so a Lua script can fill the one template in. Workers run these like any other task; Flower shows them
with their id-only arguments.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime
from functools import lru_cache
from typing import Any

DRAIN_TASK = "workers.tasks.drain"

TASK_ID = "@@TASK_ID@@"
ARG = "@@ARG@@"
_ORIGIN = f"hooks@{socket.gethostname()}"  # no pid: the drain template is baked into Lua scripts, one per host


@lru_cache(maxsize=16)
def message_template(task: str, queue: str) -> str:
    """The serialized message of `task(ARG)` on `queue`, with TASK_ID and ARG left as placeholders.

    ARG must be an id of letters, digits, `_`, `-` and `.` (nothing JSON or Lua patterns would escape).
    """
    return _message(task, queue, TASK_ID, [ARG], f"('{ARG}',)", None)


def task_message(task: str, queue: str, task_id: str, args: list[Any], expires: datetime) -> str:
    """The serialized message of `task(*args)` on `queue`, discarded by a worker that takes it after `expires`
    (an aware datetime). `args` must be JSON; they are not repeated in `argsrepr` (they may be long)."""
    return _message(task, queue, task_id, args, f"({len(args)} arguments)", expires.isoformat())


def _message(task: str, queue: str, task_id: str, args: list[Any], argsrepr: str, expires: str | None) -> str:
    body = json.dumps([args, {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    message = {
        "body": body,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py", "task": task, "id": task_id, "shadow": None, "eta": None, "expires": expires,
            "group": None, "group_index": None, "retries": 0, "timelimit": [None, None],
            "root_id": task_id, "parent_id": None, "argsrepr": argsrepr, "kwargsrepr": "{}",
            "origin": _ORIGIN, "ignore_result": True, "replaced_task_nesting": 0,
            "stamped_headers": None, "stamps": {},
        },
        "properties": {
            "correlation_id": task_id, "reply_to": "", "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0, "delivery_tag": task_id,
        },
    }  # fmt: skip
    return json.dumps(message, separators=(",", ":"))
