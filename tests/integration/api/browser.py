"""A real headless browser for the dashboard's tests: Debian's chromium, driven by Playwright's Python package.

Playwright's own browser download (`playwright install`) is never used: the tests launch /usr/bin/chromium,
installing it with apt-get when it is missing (as root), and skip with the reason only when that cannot work.
"""

from __future__ import annotations

from tests.support.apt import ensure, find

CHROMIUM = "/usr/bin/chromium"
# No background traffic (this machine's network is closed), no sandbox (the tests may run as root).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    return find("chromium", CHROMIUM)


def ensure_chromium() -> str:
    """The chromium binary, installed with apt-get first if it is missing; skips the test when it cannot be."""
    return ensure("chromium", "chromium", CHROMIUM)


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
