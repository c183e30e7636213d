"""`POST /v1/portal-links`: the product's backend asks for a sign-in link to one stack's portal (links.py).

A read-write key is needed (a link lets its holder change the stack's endpoints). A key bound to a stack
(ApiKey.stack) may ask only for its own, and `stack` may then be left out; naming another is a 422 naming `stack`,
as on every /v1 route (hooks/api/scope.py: the caller names a stack, it looks nothing up, so nothing leaks). The link's origin is
HOOKS_API_PUBLIC_URL when set, else the origin this request came to. The answer holds a credential: no-store.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from hooks.api.auth import Writer
from hooks.api.scope import check_stack
from hooks.api.v1.common import iso
from hooks.errors import ValidationError
from hooks.portal import links
from hooks.settings import get_settings

router = APIRouter(prefix="/v1", tags=["portal"])


class LinkRequest(BaseModel):
    """Which stack's portal, for whom, and for how long."""

    model_config = ConfigDict(extra="forbid")
    stack: StrictStr | None = Field(
        None,
        description="The stack (tenant) whose endpoints the portal shows "
        "(a stack-bound key: its own by default; a global key must name it).",
    )
    ttl_s: StrictInt = Field(links.DEFAULT_TTL_S, description="How long the link can sign in: 60 to 86400 s.")
    user: StrictStr = Field("", description="Who the link is for (shown in the portal), up to 200 characters.")
    session_ttl_s: StrictInt = Field(links.DEFAULT_SESSION_TTL_S, description="How long the session lasts.")
    logo_url: StrictStr | None = Field(None, description="An https logo URL (default: HOOKS_PORTAL_LOGO_URL).")
    primary_color: StrictStr | None = Field(None, description="#rrggbb (default: HOOKS_PORTAL_PRIMARY_COLOR).")


class LinkAnswer(BaseModel):
    """A single-use sign-in link."""

    url: str
    expires_at: str
    stack: str
    user: str


@router.post(
    "/portal-links",
    status_code=201,
    response_model=LinkAnswer,
    summary="A single-use sign-in link to one stack's portal",
)
def create(request: Request, response: Response, key: Writer, body: LinkRequest) -> dict[str, Any]:
    stack = check_stack(key, body.stack)
    if stack is None:
        raise ValidationError("stack: name the stack whose portal the link opens.")
    settings = get_settings()
    base = links.base_url(settings) if settings.api_public_url else str(request.base_url).rstrip("/")
    made = links.create_link(stack, base=base, ttl_s=body.ttl_s, user=body.user,
                             session_ttl_s=body.session_ttl_s, logo_url=body.logo_url,
                             primary_color=body.primary_color, settings=settings, key_id=key.id)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return {"url": made.url, "expires_at": iso(made.expires_at), "stack": stack, "user": body.user}
