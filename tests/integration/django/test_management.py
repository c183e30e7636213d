"""The Django app's commands in the example project, run as a developer runs them: `manage.py check` on settings
gone wrong (every message of the check: tests/unit/hooks/contrib), `makemigrations --check` on the app's models, `manage.py hooks_relay` starting and stopping."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from hooks.local.processes import start_process, stop_process
from hooks.local.servers import RedisServer
from tests.conftest import wait_for
from tests.integration.django.project import EXAMPLE, log_text, manage, project_env, pythonpath_with


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The example's environment on a SQLite file of the test's own, without REDIS_URL or HOOKS_* (each test says)."""
    plain = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("HOOKS_")}
    return project_env(plain, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")


def with_hooks(env: dict[str, str], tmp_path: Path, hooks_literal: str) -> dict[str, str]:
    """`env` running the example with `HOOKS = <hooks_literal>` (a settings module of the test's own over its own)."""
    (tmp_path / "test_settings.py").write_text(
        f"from config.settings import *  # noqa: F403\n\nHOOKS = {hooks_literal}\n"
    )
    return {**env, "DJANGO_SETTINGS_MODULE": "test_settings", "PYTHONPATH": pythonpath_with(tmp_path)}


@pytest.mark.parametrize(
    ("hooks_literal", "code", "says"),
    [
        ("{}", "hooks.W001", "REDIS_URL is set neither in settings.HOOKS nor in the environment"),
        ('{"REDIS_URL": "http://cache:6379/0"}', "hooks.E001", "REDIS_URL: must start with redis://"),
        ('{"HOOKS_MAX_EVENT_BYTE": 100000}', "hooks.E002", "did you mean HOOKS_MAX_EVENT_BYTES?"),
    ],
)
def test_check_says_what_is_wrong_with_the_hooks_settings(
    env: dict[str, str], tmp_path: Path, hooks_literal: str, code: str, says: str
) -> None:
    done = manage(with_hooks(env, tmp_path, hooks_literal), "check")

    output = done.stdout + done.stderr
    assert f"({code})" in output and says in output, output
    assert done.returncode == (0 if code.startswith("hooks.W") else 1), output


def test_check_is_quiet_when_redis_url_comes_from_the_environment(env: dict[str, str], tmp_path: Path) -> None:
    done = manage({**with_hooks(env, tmp_path, "{}"), "REDIS_URL": "redis://cache:6379/0"}, "check")

    assert done.returncode == 0 and "hooks." not in done.stdout + done.stderr, done.stdout + done.stderr


def test_the_apps_models_match_its_migration(env: dict[str, str]) -> None:
    done = manage(env, "makemigrations", "--check", "--dry-run", "hooks")

    assert done.returncode == 0 and "No changes detected" in done.stdout, done.stdout + done.stderr


def test_the_relay_on_a_database_not_migrated_says_to_migrate(env: dict[str, str]) -> None:
    done = manage({**env, "REDIS_URL": "redis://127.0.0.1:1/0"}, "hooks_relay", timeout_s=30)

    assert done.returncode == 1
    assert "CommandError: the outbox table hooks_outbox is missing" in done.stderr
    assert "manage.py migrate" in done.stderr


def test_the_relay_refuses_a_bad_batch_naming_the_option(env: dict[str, str]) -> None:
    done = manage({**env, "REDIS_URL": "redis://127.0.0.1:1/0"}, "hooks_relay", "--batch", "0", timeout_s=30)

    assert done.returncode == 1
    assert "CommandError: --batch: Input should be greater than or equal to 1." in done.stderr


def test_the_relay_stops_on_sigterm_and_says_so(env: dict[str, str], redis_server: RedisServer, tmp_path: Path) -> None:
    env = {**env, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/12"}  # type: ignore[attr-defined]
    assert manage(env, "migrate", "hooks", "--noinput", "-v", "0").returncode == 0  # the outbox tables alone
    log = tmp_path / "relay.log"
    proc = start_process([sys.executable, "manage.py", "hooks_relay", "--batch", "50"], env, log, cwd=EXAMPLE)
    try:
        wait_for(lambda: "relay started" in log_text(log) or proc.poll() is not None, 30, what="the relay to start")
        assert "batch 50" in log_text(log), log_text(log)

        proc.send_signal(signal.SIGTERM)

        assert proc.wait(timeout=10) == 0
        assert "relay stopped (0 events relayed)" in log_text(log)
    finally:
        stop_process(proc)
