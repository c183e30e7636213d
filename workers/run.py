"""The engine's processes, as `hooks worker|scheduler|archiver|flower` start them (hooks/cli/processes.py).

Each function runs one process in the calling one until it is told to stop, and returns its exit status. A bad
setting or an old schema ends it with one line that says what to do, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hooks.errors import HooksError

# What the Procfile's worker ran before `hooks worker` existed, and `tests` (test sends): threads (a drain spends
# its time waiting on sockets), at-least-once (prefetch 1, fair), no gossip or mingle (drains coordinate in Redis),
# task events on for Flower unless HOOKS_WORKER_TASK_EVENTS=false (cheap with drains: a few long tasks, not one per
# delivery).
WORKER_FLAGS = (
    "-Q",
    "deliveries,events,tests",
    "-P",
    "threads",
    "--prefetch-multiplier",
    "1",
    "-O",
    "fair",
    "--without-gossip",
    "--without-mingle",
    "--loglevel",
    "INFO",
)


def worker_argv(concurrency: int, extra: Sequence[str] = (), *, task_events: bool = True) -> list[str]:
    """Celery's worker command line: ours first, then `extra` (a later option wins, so `-c 8` overrides)."""
    return ["worker", *WORKER_FLAGS, *(["-E"] if task_events else []), "-c", str(concurrency), *extra]


def worker(extra: Sequence[str] = ()) -> int:
    """Run a Celery worker of the drains (`hooks worker [celery worker options]`)."""
    from hooks.settings import get_settings
    from workers.app import app

    settings = get_settings()
    app.worker_main(worker_argv(settings.worker_concurrency, extra, task_events=settings.worker_task_events))
    return 0


def scheduler() -> int:
    """Run the scheduler: due retries, breaker probes, expired leases (`hooks scheduler`)."""
    from workers.scheduler.loop import main

    return _one_line_errors("scheduler", main)


def archiver() -> int:
    """Run an archiver: finished work from Redis into the history (`hooks archiver`)."""
    from workers.archiver.archiver import main

    return _one_line_errors("archiver", main)


def flower(extra: Sequence[str] = ()) -> int:
    """Run Flower behind Basic auth (`hooks flower [flower options]`)."""
    from workers.flower import main

    return _one_line_errors("flower", lambda: main(list(extra)))


def _one_line_errors(name: str, main: object) -> int:
    try:
        return int(main() or 0)  # type: ignore[operator]
    except HooksError as exc:  # no database set, or its schema is old: one line that says what to do
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
