"""The Django example project (examples/django_project) as the tests drive it: its commands run in its folder, as a
developer runs them, and HTTP requests to its server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from hooks.outbox import rows

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "django_project"


def project_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """`base` for a process of the example: its own settings module, and output unbuffered for the logs."""
    env = {k: v for k, v in base.items() if k not in ("DJANGO_SETTINGS_MODULE", "HOOKS_OUTBOX_URL")}
    return {**env, "DJANGO_SECRET_KEY": "tests-only", "PYTHONUNBUFFERED": "1", **extra}


def manage(env: Mapping[str, str], *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    """`python manage.py ARGS` in the example's folder; its output captured."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def shell(env: Mapping[str, str], code: str) -> str:
    """Run `code` in `manage.py shell` and return what it printed; fails the test with its output if it fails."""
    done = manage(env, "shell", "-v", "0", "-c", code)  # quiet: Django 5.2 would list what it imported
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def database_url(kind: str, tmp: Path, postgres_base_url: str, name: str) -> str:
    """The example's DATABASE_URL: a file in `tmp`, or database `name` on the session's PostgreSQL."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'db.sqlite3'}"
    return postgres_base_url.rsplit("/", 1)[0] + f"/{name}"


@dataclass
class Site:
    """The example running: its server's URL, the environment of its processes, its database."""

    kind: str  # "sqlite" or "postgresql"
    url: str
    env: dict[str, str]
    engine: Engine  # on the example's database, to look at the outbox

    def post(self, path: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """POST a form; returns the status and the JSON answer."""
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.url + path, data=data, method="POST")
        return _json(request)

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """GET; returns the status and the JSON answer."""
        return _json(urllib.request.Request(self.url + path))

    def outbox(self) -> tuple[int, int]:
        """Rows waiting in hooks_outbox and rows set aside in hooks_outbox_failed."""
        with self.engine.connect() as conn:
            waiting, _, failed = rows.waiting(conn)
        return waiting, failed

    def insert_raw_row(self, event_type: str) -> None:
        """An outbox row written by hand, not by publish_event (anyone may write the table)."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO hooks_outbox (event_id, event_type, stack, branch, channels, event_time, body, "
                    "concise_body) VALUES ('evt_byhand', :t, 'blog', 'main', '', '2026-12-05T00:00:00.000Z', '{}', '{}')"
                ),
                {"t": event_type},
            )


def _json(request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def log_text(path: Path) -> str:
    """A process's log so far ("" before it writes)."""
    return path.read_text(errors="replace") if path.exists() else ""


def pythonpath_with(folder: Path) -> str:
    """PYTHONPATH with `folder` first (a settings module of a test's own)."""
    return os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH", "")]))
