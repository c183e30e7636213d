"""Debian packages the tests need as real servers or browsers (chromium, nginx, squid): found on PATH (or at the
package's usual path), else installed with apt-get as root; a test skips with the reason only when that cannot
work. Installs are serialised by a file lock, so xdist workers asking at once install once."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_TIMEOUT_S = 900
LOCK = Path("/tmp/hooks-tests-apt.lock")


def find(binary: str, *paths: str) -> str | None:
    """`binary` on PATH, or the first of `paths` that is executable."""
    return shutil.which(binary) or next((p for p in paths if os.access(p, os.X_OK)), None)


def ensure(binary: str, package: str, *paths: str) -> str:
    """The path of `binary`, installing Debian's `package` first if it is missing; skips the test if it cannot."""
    found = find(binary, *paths)
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip(f"this test needs Debian's {package}, and there is no apt-get to install it")
    if os.geteuid() != 0:
        pytest.skip(f"this test needs Debian's {package}: run `apt-get install -y {package}` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    tail = ""
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for step in (install, ["apt-get", "update", "-q"], install):  # the package lists may be missing or stale
            if find(binary, *paths):
                break
            done = subprocess.run(step, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
            tail = (done.stdout + done.stderr)[-800:]
    found = find(binary, *paths)
    if not found:
        pytest.skip(f"could not install {package} with apt-get: {tail}")
    return found
