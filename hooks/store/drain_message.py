"""Celery task messages written straight into Redis, so that they can share a pipeline or a Lua script.

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
from functools import lru_cache

DRAIN_TASK = "workers.tasks.drain"

TASK_ID = "@@TASK_ID@@"
ARG = "@@ARG@@"
_ORIGIN = f"hooks@{socket.gethostname()}"  # no pid: the drain template is baked into Lua scripts, one per host


@lru_cache(maxsize=16)
def message_template(task: str, queue: str) -> str:
    """The serialized message of `task(ARG)` on `queue`, with TASK_ID and ARG left as placeholders.

    ARG must be an id of letters, digits, `_`, `-` and `.` (nothing JSON or Lua patterns would escape).
    """
    body = json.dumps([[ARG], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    message = {
        "body": body,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py", "task": task, "id": TASK_ID, "shadow": None, "eta": None, "expires": None,
            "group": None, "group_index": None, "retries": 0, "timelimit": [None, None],
            "root_id": TASK_ID, "parent_id": None, "argsrepr": f"('{ARG}',)", "kwargsrepr": "{}",
            "origin": _ORIGIN, "ignore_result": True, "replaced_task_nesting": 0,
            "stamped_headers": None, "stamps": {},
        },
        "properties": {
            "correlation_id": TASK_ID, "reply_to": "", "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0, "delivery_tag": TASK_ID,
        },
    }  # fmt: skip
    return json.dumps(message, separators=(",", ":"))
