"""Changing a webhook from the dashboard: the edit form (hooks.registry.update_webhook, its messages shown on the
form with the values kept) and deleting it after a confirmation box is ticked.

Secret values (custom header values, the auth password or token, the OAuth2 client secret) are never written into
the form: a blank one means "unchanged". A client certificate is set with the CLI or the API (its page shows it). Headers are edited as `Name: value` lines; a line with a name and no value keeps that
header's current value, a header without a line is removed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from hooks.api.ui.actions import words as _words
from hooks.api.ui.render import back, form_session, page, session_of
from hooks.errors import ValidationError
from hooks.models.filters import check_filter
from hooks.models.webhook import Webhook, masked_url
from hooks.registry import webhooks as registry

router = APIRouter()


class EditForm(BaseModel):
    """The edit form's fields, as the browser sends them (text; a checkbox is "on" or absent)."""

    model_config = ConfigDict(extra="ignore")
    csrf: str = ""
    name: str = ""
    url: str = ""
    events: str = ""
    branches: str = ""
    headers: str = ""
    auth_type: str = ""
    username: str = ""
    password: str = ""
    token: str = ""
    description: str = ""
    retry_policy: str = "auto"
    max_attempts: str = ""
    ordered: str = ""
    oauth2_token_url: str = ""
    oauth2_client_id: str = ""
    oauth2_client_secret: str = ""
    oauth2_scope: str = ""
    oauth2_audience: str = ""
    oauth2_client_auth: str = "basic"
    rate_limit: str = ""
    filter: str = ""  # the payload filter's JSON; blank: every event


def form_of(webhook: Webhook) -> EditForm:
    """The form's values for a webhook, without any secret value."""
    auth = webhook.auth
    return EditForm(name=webhook.name, url=webhook.masked_url,
                    events=" ".join(webhook.events), branches=" ".join(webhook.branches),
                    headers="".join(f"{k}:\n" for k in webhook.headers), auth_type=auth.type if auth else "",
                    username=getattr(auth, "username", ""), description=webhook.description,
                    retry_policy=webhook.retry_policy, ordered="on" if webhook.ordered else "",
                    max_attempts=str(webhook.retry.max_attempts or ""),
                    rate_limit=f"{webhook.rate_limit_per_s:g}" if webhook.rate_limit_per_s else "",
                    filter=json.dumps(webhook.filter, indent=2, ensure_ascii=False) if webhook.filter else "",
                    **_oauth2_form(webhook))  # fmt: skip


def _oauth2_form(webhook: Webhook) -> dict[str, str]:
    o = webhook.oauth2
    if o is None:
        return {}
    return {"oauth2_token_url": masked_url(o.token_url), "oauth2_client_id": o.client_id, "oauth2_scope": o.scope,
            "oauth2_audience": o.audience, "oauth2_client_auth": o.client_auth}  # fmt: skip


@router.get("/webhooks/{webhook_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, webhook_id: str) -> HTMLResponse:
    session = session_of(request)
    found = registry.get_webhook(webhook_id)
    return page(request, "edit.html", session, webhook=found, form=form_of(found), message=None)


@router.post("/webhooks/{webhook_id}/edit", response_model=None)
def edit(request: Request, webhook_id: str, data: Annotated[EditForm, Form()]) -> Response:
    session = form_session(request, data.csrf)
    old = registry.get_webhook(webhook_id)
    try:
        registry.update_webhook(old.id, **changes(old, data))
    except ValidationError as exc:  # the message on the form, the values as typed (secrets blank again)
        kept = data.model_copy(update={"password": "", "token": "", "oauth2_client_secret": ""})
        return page(request, "edit.html", session, 422, webhook=old, form=kept, message=f"not saved: {exc}")
    return back(f"/ui/webhooks/{old.id}", "saved")


@router.post("/webhooks/{webhook_id}/delete")
def delete(request: Request, webhook_id: str, csrf: Annotated[str, Form()] = "",
           confirm: Annotated[str, Form()] = "") -> RedirectResponse:  # fmt: skip
    form_session(request, csrf)
    found = registry.get_webhook(webhook_id)
    if confirm != "yes":
        return back(f"/ui/webhooks/{found.id}/edit", "not deleted: tick the box to confirm.")
    registry.delete_webhook(found.id)
    return back("/ui/webhooks", f"deleted {found.name} ({found.id})")


def changes(old: Webhook, data: EditForm) -> dict[str, Any]:
    """The fields update_webhook gets from the form; raises ValidationError naming a field it cannot read."""
    url = data.url.strip()
    if url == old.masked_url:
        url = old.url  # query values (often a token) are shown masked: the same masked URL means unchanged
    retry = old.retry.model_dump()
    retry["max_attempts"] = _int(data.max_attempts, "retry.max_attempts")
    return {"name": data.name.strip(), "url": url, "events": _words(data.events),
            "branches": _words(data.branches) or ["main"], "headers": form_headers(old, data.headers),
            "auth": form_auth(old, data), "description": data.description.strip(), "retry_policy": data.retry_policy,
            "retry": retry, "ordered": data.ordered == "on", "oauth2": _oauth2(old, data),
            "rate_limit_per_s": _rate(data.rate_limit), "filter": check_filter(data.filter)}  # fmt: skip


def _oauth2(old: Webhook, data: EditForm) -> dict[str, Any] | None:
    """The OAuth2 settings from the form: none without a token URL; a blank secret keeps the stored one."""
    url = data.oauth2_token_url.strip()
    if not url:
        return None
    if old.oauth2 is not None and url == masked_url(old.oauth2.token_url):
        url = old.oauth2.token_url  # shown masked, as the webhook's URL is
    out: dict[str, Any] = {"token_url": url, "client_id": data.oauth2_client_id.strip(),
                           "scope": data.oauth2_scope.strip(), "audience": data.oauth2_audience.strip(),
                           "client_auth": data.oauth2_client_auth}  # fmt: skip
    if data.oauth2_client_secret:
        out["client_secret"] = data.oauth2_client_secret
    return out


def form_headers(old: Webhook, text: str) -> dict[str, str]:
    """The headers of a form's `Name: value` lines (a name alone keeps `old`'s value: values are never shown, so
    the form cannot send them back); raises ValidationError naming `headers`. The portal's form uses it too."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise ValidationError(f"headers: write one header a line as Name: value (got {line[:40]!r}).")
        if not value and name not in old.headers:
            raise ValidationError(f"headers: {name} needs a value (a blank value keeps a header's current one).")
        out[name] = value or old.headers[name]
    return out


def form_auth(old: Webhook, data: EditForm) -> dict[str, Any] | None:
    """The auth of a form (none, basic or bearer; a blank password or token keeps `old`'s, never shown); raises
    ValidationError naming `auth.type`. The portal's form uses it too."""
    previous = old.auth.model_dump() if old.auth is not None else {}
    if data.auth_type == "":
        return None
    if data.auth_type == "basic":
        kept = previous.get("password", "") if previous.get("type") == "basic" else ""
        return {"type": "basic", "username": data.username.strip(), "password": data.password or kept}
    if data.auth_type == "bearer":
        kept = previous.get("token", "") if previous.get("type") == "bearer" else ""
        return {"type": "bearer", "token": data.token.strip() or kept}
    raise ValidationError("auth.type: must be none, basic or bearer.")


def _rate(text: str) -> float | None:
    if not text.strip():
        return None  # blank: no limit
    try:
        return float(text.strip())
    except ValueError:
        raise ValidationError(f"rate_limit_per_s: expected requests a second as a number (e.g. 20 or 0.5), or blank "
                              f"for no limit, got {text.strip()[:20]!r}.") from None  # fmt: skip


def _int(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ValidationError(f"{field}: expected a whole number, got {text.strip()[:20]!r}.") from None
