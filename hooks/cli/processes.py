"""`hooks worker|scheduler|archiver|relay|api|flower`: every process of the Procfile, started by one command.

The engine (the `workers` package) is loaded from where `hooks` is installed, never from the current directory:
an app whose root holds its own `workers.py` or `workers/` (an RQ or Celery project) runs these commands from
there, and `python -m hooks worker` too (`-m` puts the current directory first on `sys.path`). Options after
`worker` go to Celery's worker, after `flower` to Flower.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import hooks
from hooks.errors import ConfigurationError

PROCESSES: dict[str, str] = {
    "worker": "the Celery worker that runs the drains (options after it go to `celery worker`)",
    "scheduler": "makes due retries ready, probes open breakers, puts back work of dead drains",
    "archiver": "moves finished work from Redis into the history (PostgreSQL)",
    "relay": "moves committed events from the app's outbox table (HOOKS_OUTBOX_URL) to Redis",
    "api": "the HTTP API, the dashboard and /metrics on HOOKS_API_HOST:HOOKS_API_PORT",
    "flower": "Flower behind Basic auth (FLOWER_BASIC_AUTH; options after it go to Flower)",
}


def add_parsers(sub: Any) -> None:
    """List the process commands in `hooks --help` (main() runs them before argparse sees their options)."""
    for name, text in PROCESSES.items():
        sub.add_parser(name, help=text, add_help=False)


def run(name: str, extra: Sequence[str]) -> int:
    """Run process `name` in this one until it stops; returns its exit status."""
    if name == "api":
        from hooks.api.__main__ import main as api_main

        return _no_options(name, extra) or api_main()
    if name == "relay":
        from hooks.outbox.relay import main as relay_main

        return _no_options(name, extra) or relay_main()
    engine = load_engine("workers.run")
    start: Callable[..., int] = getattr(engine, name)
    if name in ("worker", "flower"):
        return start(list(extra))
    return _no_options(name, extra) or start()


def load_engine(module: str) -> ModuleType:
    """Import `module` of the engine from beside `hooks`, not from the current directory; raises
    ConfigurationError when another `workers` is already loaded in its place."""
    cwd = os.getcwd()
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if os.path.abspath(p or ".") != cwd]
    try:
        loaded = importlib.import_module(module)
    finally:
        sys.path[:] = saved
    engine = sys.modules["workers"]
    ours = Path(hooks.__file__).resolve().parent.parent
    where = Path(engine.__file__ or "?").resolve().parent.parent
    if where != ours:
        raise ConfigurationError(
            f"the module `workers` loaded from {engine.__file__} is not the engine of hooks "
            f"(in {ours}); start the process with the `hooks` command."
        )
    return loaded


def _no_options(name: str, extra: Sequence[str]) -> int:
    if not extra:
        return 0
    if list(extra) in (["-h"], ["--help"]):
        print(f"usage: hooks {name}\n\n{PROCESSES[name]}; its settings come from the environment (REDIS_URL, HOOKS_*).")
        sys.exit(0)
    print(
        f"hooks: error: {name}: takes no options (its settings come from the environment), got {extra[0]!r}.",
        file=sys.stderr,
    )
    sys.exit(2)
