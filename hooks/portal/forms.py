"""The endpoint form of the portal: what a customer may set on their own endpoint, read from the browser's fields.

A customer sets the URL, a name and description, the event types (ticked from the catalogue, plus patterns typed
by hand such as `content_types.*`, for types not in the catalogue), custom headers and auth (none, basic or
bearer). The stack is never a field: it is the session's. Secret values (header values, the password, the token)
are never written into the form: a blank one keeps the stored value, as on the dashboard (hooks/api/ui/edit.py,
whose header and auth rules this reuses).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, ConfigDict

from hooks.api.ui.actions import words
from hooks.api.ui.edit import EditForm, form_auth, form_headers
from hooks.catalogue import EventType, list_event_types
from hooks.errors import ValidationError
from hooks.models.webhook import Webhook


class EndpointForm(BaseModel):
    """The portal's endpoint form as the browser sends it (text; ticked types as a list)."""

    model_config = ConfigDict(extra="ignore")
    csrf: str = ""
    name: str = ""
    url: str = ""
    types: list[str] = []
    patterns: str = ""
    headers: str = ""
    auth_type: str = ""
    username: str = ""
    password: str = ""
    token: str = ""
    description: str = ""


def catalogue() -> list[EventType]:
    """The event types customers may tick, by name."""
    return sorted(list_event_types(), key=lambda t: t.name)


def form_of(webhook: Webhook) -> EndpointForm:
    """The form's values for an endpoint, without any secret value."""
    names = {t.name for t in catalogue()}
    auth = webhook.auth
    return EndpointForm(name=webhook.name, url=webhook.masked_url, description=webhook.description,
                        types=[e for e in webhook.events if e in names],
                        patterns=" ".join(e for e in webhook.events if e not in names),
                        headers="".join(f"{k}:\n" for k in webhook.headers), auth_type=auth.type if auth else "",
                        username=getattr(auth, "username", ""))  # fmt: skip


def events_of(data: EndpointForm) -> list[str]:
    """The ticked types and the typed patterns; raises ValidationError when there are none."""
    events = list(dict.fromkeys([*data.types, *words(data.patterns)]))
    if not events:
        raise ValidationError("events: tick at least one event type (or type a pattern such as content_types.*).")
    return events


def fields_of(data: EndpointForm, old: Webhook | None) -> dict[str, Any]:
    """The webhook fields from the form (a blank secret value keeps `old`'s); raises ValidationError."""
    base: Any = old or SimpleNamespace(headers={}, auth=None)  # a new endpoint: no value to keep
    legacy = EditForm(headers=data.headers, auth_type=data.auth_type, username=data.username,
                      password=data.password, token=data.token)  # fmt: skip
    url = data.url.strip()
    if old is not None and url == old.masked_url:
        url = old.url  # shown masked: the same masked URL means unchanged
    return {"url": url, "events": events_of(data), "name": data.name.strip(),
            "description": data.description.strip(), "headers": form_headers(base, legacy.headers),
            "auth": form_auth(base, legacy)}  # fmt: skip


def blank_secrets(data: EndpointForm) -> EndpointForm:
    """The form as typed, for showing it again with a message: the secret values left out."""
    return data.model_copy(update={"password": "", "token": ""})
