"""Plain HTTP for tests that probe a process's port (urllib: nothing to install, nothing shared)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request


def http_status(url: str, auth: str | None = None, *, timeout_s: float = 5) -> int:
    """The status of GET `url` (with Basic `user:password` if given); 0 when nothing answers."""
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0
