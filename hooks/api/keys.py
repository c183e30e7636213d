"""The Redis keys of the API, under the settings' prefix (beside hooks/store/keys.py, which has the rest).

| key                              | type | holds                                                           |
|----------------------------------|------|-----------------------------------------------------------------|
| {p}:api:keys                     | zset | API key ids, scored by creation time (s)                        |
| {p}:api:key:{key_id}             | hash | an API key: name, `sha256` of the whole key (never the key),    |
|                                  |      | read_only, created_at, last_used_at, stack (bound keys only)    |
| {p}:api:session:{sha256(token)}  | hash | a dashboard login: key_id, csrf token, created_at (TTL:         |
|                                  |      | HOOKS_API_SESSION_TTL_S); the cookie holds the token, Redis its hash |
| {p}:api:secret                   | str  | the server secret: 32 random bytes, made by the first API process  |
|                                  |      | (SET NX), shared by all; signs the login form's token and the      |
|                                  |      | dashboard's flash notes (hooks/api/signing.py). No TTL             |
| {p}:api:once:{session}:{webhook} | str  | a webhook's new secret for the one-time secret page of the session |
|                                  |      | (sha256 of its token) that created or rotated it: JSON, read once  |
|                                  |      | (GETDEL), TTL 10 min (hooks/api/ui/secret_page.py)                 |
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
        self.secret = f"{p}:api:secret"
        self.once: Callable[[str, str], str] = f"{p}:api:once:{{}}:{{}}".format
