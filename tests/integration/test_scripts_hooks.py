"""`scripts/hooks`, the README's way to run the `hooks` command in a clone, works as written: from any directory,
with no virtualenv on PATH, its arguments, working directory and exit status those of `hooks` itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "hooks"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`scripts/hooks ARGS` from `cwd`, with a PATH that holds no virtualenv and no HOOKS_* or REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKS_", "REDIS_URL", "VIRTUAL_ENV"))}
    env["PATH"] = os.defpath
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_it_runs_the_hooks_command_in_the_callers_directory(tmp_path):
    # Given a directory outside the clone, When `scripts/hooks outbox migrate` is given a relative SQLite URL
    done = run("outbox", "migrate", "--url", "sqlite:///outbox.db", cwd=tmp_path)
    # Then the command ran, and the database is where the caller stands, not in the clone
    assert done.returncode == 0, done.stderr
    assert "outbox tables in sqlite:///outbox.db" in done.stdout
    assert (tmp_path / "outbox.db").is_file()


def test_it_passes_the_exit_status_and_the_help_through(tmp_path):
    assert run("erase", cwd=tmp_path).returncode == 2  # a usage error: --stack is required
    helped = run("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "doctor" in helped.stdout and "relay" in helped.stdout
