"""`hooks outbox ...` with a database that is missing, unreachable or not migrated, and with bad input: one line
that names what is wrong and what to run, exit 2 (1 for a row that does not exist), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hooks.local.servers import free_port


def hooks_cmd(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKS_")}
    if url:
        env["HOOKS_OUTBOX_URL"] = url
    return subprocess.run([sys.executable, "-m", "hooks", *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "url", "code", "says"),
    [
        (("outbox", "status"), None, 2, "HOOKS_OUTBOX_URL: not set; give the app's database URL"),
        (("outbox", "migrate", "--url", "notaurl"), None, 2, "HOOKS_OUTBOX_URL: not a database URL: 'notaurl'."),
        (
            ("outbox", "status"),
            "postgresql://x@127.0.0.1:{port}/app",
            2,
            "the outbox database postgresql+psycopg://x@127.0.0.1:{port}/app cannot be reached (connection failed",
        ),
        (
            ("outbox", "failed"),
            "sqlite:///{tmp}/app.db",
            2,
            "the outbox table hooks_outbox is missing in sqlite:///{tmp}/app.db: run `hooks outbox migrate`",
        ),
    ],
)
def test_a_database_that_is_not_there_is_said_in_one_line(args, url, code, says, tmp_path: Path) -> None:
    port = free_port()
    done = hooks_cmd(*args, url=url.format(port=port, tmp=tmp_path) if url else None)
    assert done.returncode == code
    assert done.stderr.startswith("hooks: error: " + says.format(port=port, tmp=tmp_path)), done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_retry_and_purge_name_a_bad_or_unknown_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    assert hooks_cmd("outbox", "migrate", url=url).stdout.startswith(f"outbox tables in {url} at revision 0001")
    assert "(already)" in hooks_cmd("outbox", "migrate", url=url).stdout
    bad = hooks_cmd("outbox", "retry", "1x", url=url)
    assert (bad.returncode, bad.stderr) == (2, "hooks: error: id: expected a row id (a whole number), got '1x'.\n")
    gone = hooks_cmd("outbox", "purge", "7", url=url)
    assert (gone.returncode, gone.stderr) == (1, "hooks: error: id: no failed outbox row 7.\n")
    assert hooks_cmd("outbox", "retry", "--all", url=url).stdout == "put 0 rows back in the outbox\n"
