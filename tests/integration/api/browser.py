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
