"""The Redis keys of the API, under the settings' prefix (beside hooks/store/keys.py, which has the rest).

| key                              | type | holds                                                           |
|----------------------------------|------|-----------------------------------------------------------------|
| {p}:api:keys                     | zset | API key ids, scored by creation time (s)                        |
| {p}:api:key:{key_id}             | hash | an API key: name, `sha256` of the whole key (never the key),    |
|                                  |      | read_only, created_at, last_used_at                             |
| {p}:api:session:{sha256(token)}  | hash | a dashboard login: key_id, csrf token, created_at (TTL:         |
|                                  |      | HOOKS_API_SESSION_TTL_S); the cookie holds the token, Redis its hash |
"""

from __future__ import annotations

from collections.abc import Callable

from hooks.settings import Settings


class ApiKeys:
    """Key builders of the API, bound to one settings prefix."""

    def __init__(self, settings: Settings) -> None:
        p = settings.key_prefix
        self.all = f"{p}:api:keys"
        self.key: Callable[[str], str] = f"{p}:api:key:{{}}".format
        self.session: Callable[[str], str] = f"{p}:api:session:{{}}".format
