"""Who may call the API: `Authorization: Bearer <API key>` on every /v1 route and /metrics.

No key or a wrong one -> 401 (with `WWW-Authenticate: Bearer`); a read-only key on a write -> 403. The key is
never logged: the access log has the method, path and status only, and errors name the key's id, not the key.
What a key bound to one stack may reach is checked by hooks/api/scope.py, on the key these dependencies return.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from hooks.api.apikeys import ApiKey, authenticate

_bearer = HTTPBearer(auto_error=False, description="An API key from `hooks api-key create`.")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hooks"'}


def api_key(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                      Depends(_bearer)]) -> ApiKey:  # fmt: skip
    """The caller's API key; raises a 401 problem when there is none or it is not valid."""
    if credentials is None:
        raise HTTPException(401, "Authorization: send an API key as `Authorization: Bearer <key>`.", CHALLENGE)
    key = authenticate(credentials.credentials)
    if key is None:
        raise HTTPException(401, "Authorization: the API key is not valid (unknown, revoked or mistyped).",
                            CHALLENGE)  # fmt: skip
    request.state.api_key_id = key.display
    return key


def writer(key: Annotated[ApiKey, Depends(api_key)]) -> ApiKey:
    """The caller's key, if it may write; raises a 403 problem for a read-only key."""
    if key.read_only:
        raise HTTPException(403, f"Authorization: the API key {key.display} is read-only; this needs a read-write key.")
    return key


Reader = Annotated[ApiKey, Depends(api_key)]
Writer = Annotated[ApiKey, Depends(writer)]
READ = [Depends(api_key)]
WRITE = [Depends(writer)]
