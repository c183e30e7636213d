"""Tiny WSGI (gunicorn) and ASGI (hypercorn, uvicorn) apps for the client's conformance tests.

Each request is appended as one line, `path body`, to the file CONFORMANCE_LOG names (the tests count arrivals
there) and answered `200 ok:<body>`; `/early/<status>` answers that status at once without reading the body (as an
app refusing a large body does), after logging `path early`.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any

LOG = os.environ.get("CONFORMANCE_LOG", os.devnull)


def _record(path: str, body: bytes) -> None:
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, path.encode() + b" " + body + b"\n")  # one write with O_APPEND: lines never interleave
    finally:
        os.close(fd)


def _early(path: str) -> tuple[int, bytes] | None:
    if not path.startswith("/early/"):
        return None
    _record(path, b"early")
    return int(path[7:]), b"early"


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    early = _early(path)
    if early is None:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        _record(path, body)
        early = 200, b"ok:" + body
    status, out = early
    start_response(f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "text/plain"),
                                                             ("Content-Length", str(len(out)))])  # fmt: skip
    return [out]


async def asgi(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
               send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:  # fmt: skip
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    early = _early(scope["path"])
    if early is None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        _record(scope["path"], body)
        early = 200, b"ok:" + body
    status, out = early
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(out)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": out})
