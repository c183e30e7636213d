"""The Redis keys of the portal, under the settings' prefix (beside hooks/api/keys.py and hooks/store/keys.py).

| key                                    | type   | holds                                                      |
|----------------------------------------|--------|------------------------------------------------------------|
| {p}:portal:link:{sha256(token)}        | string | a sign-in link: JSON {stack, user, session_ttl_s,          |
|                                        |        | logo_url, color, key_id} (TTL: the link's ttl_s; taken     |
|                                        |        | with GETDEL) (links.py)                                    |
| {p}:portal:session:{sha256(token)}     | hash   | a session: stack, user, csrf, logo_url, color, key_id,     |
|                                        |        | created_at (TTL: the link's session_ttl_s) (session.py)    |
| {p}:portal:once:{session}:{webhook}    | string | a new endpoint secret for the session's one-time page:     |
|                                        |        | JSON {secret, rotated, grace_hours} (TTL 10 min, read      |
|                                        |        | once) (secret_once.py)                                     |
| {p}:portal:test:{session}:{webhook}    | string | the session's last test answer for one endpoint, JSON      |
|                                        |        | (TTL 60 s, read once) (log_ping.py)                        |

Tokens never reach Redis: links and sessions are keyed by the SHA-256 of theirs (`token_hash`, the same digest
as the dashboard's sessions), and `{session}` is that hash of the session's token. `key_id` is the API key that
asked for the link (POST /v1/portal-links; empty for a link made in Python or by the CLI): revoking that key ends
the sessions its links started.
"""

from __future__ import annotations

from collections.abc import Callable

from hooks.api.ui.session import token_hash
from hooks.settings import Settings

__all__ = ["PortalKeys", "token_hash"]


class PortalKeys:
    """Key builders of the portal, bound to one settings prefix."""

    def __init__(self, settings: Settings) -> None:
        p = settings.key_prefix
        self.link: Callable[[str], str] = f"{p}:portal:link:{{}}".format
        self.session: Callable[[str], str] = f"{p}:portal:session:{{}}".format
        self.once: Callable[[str, str], str] = f"{p}:portal:once:{{}}:{{}}".format
        self.test: Callable[[str, str], str] = f"{p}:portal:test:{{}}:{{}}".format
