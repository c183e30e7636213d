"""Fixtures of the API's tests: keys, the app's own client, a real uvicorn process."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.local.processes import start_process, stop_process
from hooks.local.servers import free_port
from hooks.settings import Settings
from tests.conftest import wait_for


@pytest.fixture
def write_key(settings: Settings) -> str:
    """A read-write API key (made after the test's Redis was emptied)."""
    return create_key("tests")[1]


@pytest.fixture
def read_key(settings: Settings) -> str:
    """A read-only API key."""
    return create_key("tests, read-only", read_only=True)[1]


@pytest.fixture
def api(settings: Settings, write_key: str) -> Iterator[TestClient]:
    """The app's own client (in this process), sending the read-write key."""
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {write_key}"}) as client:
        yield client


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def start_api(log_dir: Path) -> Iterator[Callable[[dict[str, str]], str]]:
    """Factory: `python -m hooks.api` as a real process on a free 127.0.0.1 port; returns its URL; stopped by pid."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> str:
        port = free_port()
        log = log_dir / f"api-{port}.log"
        proc = start_process([sys.executable, "-m", "hooks.api"], {**env, "HOOKS_API_PORT": str(port)}, log)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: proc.poll() is None and _up(url), 30, what=f"the API on {url} ({log})")
        return url

    yield start
    for proc in procs:
        stop_process(proc)


@pytest.fixture(scope="session")
def api_server(hooks_env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """One real API process for the session, on the session's Redis (database 0) and history."""
    port = free_port()
    log = log_dir / "api-session.log"
    proc = start_process([sys.executable, "-m", "hooks.api"], {**hooks_env, "HOOKS_API_PORT": str(port)}, log)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: proc.poll() is None and _up(url), 30, what=f"the API on {url} ({log})")
    yield url
    stop_process(proc)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (installed by apt-get if missing)."""
    from tests.integration.api.browser import ensure_chromium

    return ensure_chromium()


@pytest.fixture
def browser(chromium: str) -> Iterator[object]:
    """A headless chromium driven by Playwright (its Python package; never its own browser download)."""
    from playwright.sync_api import sync_playwright

    from tests.integration.api.browser import FLAGS

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def attacker(tmp_path: Path) -> Iterator[object]:
    """Another origin on 127.0.0.1 (its own port) serving the attacker's static pages (`attacker.page(name, html)`)."""
    from tests.support.attacker import attacker_site

    root = tmp_path / "attacker"
    root.mkdir()
    with attacker_site(root) as site:
        yield site
