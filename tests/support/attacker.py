"""Another origin for the browser tests: static pages served by http.server on a port of 127.0.0.1 of its own
(same host as the API, another port: same site, other origin, as the attacks of issue 20 were)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Site:
    """Pages written to a folder and served from `url`."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url

    def page(self, name: str, html: str) -> str:
        """Serve `html` as `name`; returns its URL."""
        (self.root / name).write_text(f"<!doctype html>\n<html><body>\n{html}\n</body></html>\n")
        return f"{self.url}/{name}"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's own name)
        pass


@contextmanager
def attacker_site(root: Path) -> Iterator[Site]:
    """A static site on a free 127.0.0.1 port, in a thread, shut down on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="attacker-site", daemon=True)
    thread.start()
    try:
        yield Site(root, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
