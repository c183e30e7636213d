"""Errors as RFC 9457 problem details (`application/problem+json`), one handler per kind of failure.

a body that cannot be read (not JSON, not UTF-8,
a number over 4300 digits, nesting json.loads
gives up on), a cursor no listing handed out       400  `field` is `body` / `cursor`
ValidationError, a request that fails its schema,
a NUL in any string, a DataError of PostgreSQL     422  `detail` is ValidationError's one sentence, `field`
(a wrong type, a value out of range, an unknown         names the field, never an index or offset (`errors`
field)                                                  lists every one found; hooks.api.request_errors)
no or wrong API key / read-only key on a write      401 / 403
NotFoundError, an unknown route (also a webhook_id
given to a bulk replay/purge that names nothing)    404
a body over HOOKS_API_MAX_BODY_BYTES               413
Redis or the history database unreachable,
PublishError, a missing setting                    503  (retry later)
anything else                                      500  with no detail and `Connection: close` (the log has the
                                                        traceback, once)
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from hooks.api.asgi import HttpMiddleware
from hooks.api.nul import data_refused
from hooks.api.request_errors import FIELD_RE, PARSE_FAILED, body_unreadable, request_errors, schema_unreadable
from hooks.errors import (
    ConfigurationError,
    HooksError,
    NotFoundError,
    PublishError,
    UnreadableError,
    ValidationError,
)
from hooks.history.connection import UNREACHABLE, HistoryUnavailableError, unavailable

log = logging.getLogger("hooks.api")

MEDIA_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    """A JSON response with the problem+json media type."""

    media_type = MEDIA_TYPE


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> ProblemResponse:
    """A problem response: type about:blank, the status's phrase as title, `detail`, and `field` when it names one."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail}  # fmt: skip
    field = FIELD_RE.match(detail)
    if field and status in (400, 404, 413, 422):
        body["field"] = field[1]
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(RequestValidationError)
    async def _schema(request: Request, exc: RequestValidationError) -> Response:
        unreadable = schema_unreadable(exc)
        if unreadable:
            return problem(400, unreadable)
        errors = request_errors(list(exc.errors()))
        return problem(422, errors[0]["detail"], errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 400 and exc.detail == PARSE_FAILED:  # json.loads raised: why is in the cause
            return problem(400, body_unreadable(exc.__cause__))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase \
            else _DEFAULT_DETAIL.get(exc.status_code, HTTPStatus(exc.status_code).phrase + ".")  # fmt: skip
        return problem(exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(HooksError)
    async def _hooks(request: Request, exc: HooksError) -> Response:
        return hooks_problem(exc)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        return hooks_problem(data_refused(exc))

    @app.exception_handler(redis.RedisError)
    async def _redis(request: Request, exc: redis.RedisError) -> Response:
        return problem(503, f"Redis did not answer ({type(exc).__name__}); try again when it is back.")

    for kind in UNREACHABLE:

        @app.exception_handler(kind)
        async def _database(request: Request, exc: Exception) -> Response:
            return problem(503, str(unavailable(exc)))

    app.add_middleware(Unexpected)  # added first: the innermost, inside every other middleware


class Unexpected(HttpMiddleware):
    """An exception no handler took (a bug): logged once with its traceback, answered with a 500 problem that says
    `Connection: close`. Starlette's own last resort would re-raise it after answering, so uvicorn logged it a
    second time and dropped the keep-alive connection without telling the client, whose next request then failed."""

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = False

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            log.error("api: %s %s failed (%s)", scope["method"], scope["path"], type(exc).__name__, exc_info=exc)
            if not started:  # else the answer is cut short; the server closes the connection
                answer = problem(500, "An unexpected error; the server's log has the details.",
                                 headers={"Connection": "close"})  # fmt: skip
                await answer(scope, receive, send)


def hooks_problem(exc: HooksError) -> ProblemResponse:
    """The problem of one of our own errors."""
    if isinstance(exc, UnreadableError):
        return problem(400, str(exc))
    if isinstance(exc, ValidationError):  # a path inside a field (`data.entry.title: ...`) may say its field
        field = getattr(exc, "field", None)
        named: dict[str, Any] = {"field": field} if isinstance(field, str) else {}
        return problem(422, str(exc), **named)
    if isinstance(exc, NotFoundError):
        return problem(404, str(exc))
    if isinstance(exc, (PublishError, HistoryUnavailableError, ConfigurationError)):
        return problem(503, str(exc))
    return problem(500, str(exc))


_DEFAULT_DETAIL = {
    404: "No such resource (see /docs for the API's routes).",
    405: "This resource does not take that method (see /docs).",
    413: "body: the request body is larger than HOOKS_API_MAX_BODY_BYTES allows.",
}
