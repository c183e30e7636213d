"""The API's access log: method, path and status only, never the query string.

A query string may hold a credential: a portal sign-in link is `/portal/login?token=...`, and a log line with it
would be a live link for whoever reads the logs (until it is used or expires). uvicorn's access logger formats
its line from `record.args` (client, method, path with query, HTTP version, status); `PathOnly` cuts the path at
its `?` before any handler formats it, so no handler or formatter of a deployment's logging can print it.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

__all__ = ["PathOnly", "log_config"]

_PATH = 2  # the index of the path in uvicorn's access-log arguments


class PathOnly(logging.Filter):
    """Drop the query string from an access-log record's path (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        path = args[_PATH] if isinstance(args, tuple) and len(args) > _PATH else None
        if isinstance(args, tuple) and isinstance(path, str):
            record.args = (*args[:_PATH], path.split("?", 1)[0], *args[_PATH + 1 :])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with `PathOnly` on the access logger."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["path_only"] = {"()": PathOnly}
    config["loggers"]["uvicorn.access"]["filters"] = ["path_only"]
    return config
