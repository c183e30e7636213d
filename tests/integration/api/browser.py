"""A real headless browser for the dashboard's tests: Debian's chromium, driven by Playwright's Python package.

Playwright's own browser download (`playwright install`) is never used: the tests launch /usr/bin/chromium,
installing it with apt-get when it is missing (as root), and skip with the reason only when that cannot work.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
# No background traffic (this machine's network is closed), no sandbox (the tests may run as root).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip
INSTALL_TIMEOUT_S = 900


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    return shutil.which("chromium") or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)


def ensure_chromium() -> str:
    """The chromium binary, installed with apt-get first if it is missing; skips the test when it cannot be."""
    found = chromium_path()
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip("the dashboard's browser tests need Debian's chromium, and there is no apt-get to install it")
    if os.geteuid() != 0:
        pytest.skip("the dashboard's browser tests need Debian's chromium: run `apt-get install -y chromium` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    tail = ""
    for step in (install, ["apt-get", "update", "-q"], install):  # the package lists may be missing or stale
        done = subprocess.run(step, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        tail = (done.stdout + done.stderr)[-800:]
        if chromium_path():
            return str(chromium_path())
    pytest.skip(f"could not install chromium with apt-get: {tail}")


def logged_in(browser: object, url: str, key: str) -> object:
    """A page of a new browser context, logged in to the dashboard at `url` with `key` through the login form."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/ui/login")
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")
    assert page.url == f"{url}/ui/", page.url
    return page


def csp_violations(page: object) -> list[str]:
    """A list that fills with the page's console messages about the Content Security Policy (chromium reports each
    refused script, style or frame there)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)  # type: ignore[attr-defined]
    return found
