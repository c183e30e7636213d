"""The dashboard's forms (POST): every one checks the session's CSRF token, and writes need a read-write key."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hooks.api.apikeys import authenticate
from hooks.api.ping import NO_WORKER, no_worker_detail, send_test
from hooks.api.ui.login import login_form
from hooks.api.ui.login import refused as login_refused
from hooks.api.ui.render import back, form_session
from hooks.api.ui.secret_page import show_once
from hooks.api.ui.session import COOKIE, LOGIN_COOKIE, clear_cookie, end, set_cookie, start
from hooks.deliveries.dlq import purge, replay, replay_many, retry_now
from hooks.errors import HooksError, ValidationError
from hooks.models.event import MAX_DEPTH
from hooks.producer.publish import publish_event
from hooks.registry import webhooks as registry
from hooks.registry.health import probe_now, reset
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter()
Csrf = Annotated[str | None, Form()]
Text = Annotated[str, Form()]


@router.post("/login", response_model=None)
def login(request: Request, key: Text = "", csrf: Csrf = None) -> Response:
    refusal = login_refused(request, csrf)
    if refusal is not None:
        return refusal
    found = authenticate(key.strip())
    if found is None:
        return login_form(request, 401, "That API key is not valid (unknown, revoked or mistyped).")
    if found.stack is not None:  # the dashboard sees every stack: a tenant's key has the portal instead
        return login_form(request, 403, f"That API key is bound to stack {found.stack!r}: the dashboard is for "
                          "operators' global keys (it shows every stack); use the portal link of your stack.")  # fmt: skip
    settings = get_settings()
    response = RedirectResponse("/ui/", status_code=303)
    set_cookie(response, request, COOKIE, start(settings, found), int(settings.api_session_ttl_s))
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Csrf = None) -> RedirectResponse:
    end(get_settings(), form_session(request, csrf, write=False))
    response = RedirectResponse("/ui/login", status_code=303)
    clear_cookie(response, request, COOKIE)
    return response


@router.post("/webhooks", response_model=None)
def create_webhook(request: Request, url: Text = "", events: Text = "", stack: Text = "default",
                   branches: Text = "main", name: Text = "", csrf: Csrf = None) -> Response:  # fmt: skip
    session = form_session(request, csrf)
    try:
        made = registry.create_webhook(url.strip(), words(events), stack=stack.strip() or "default",
                                       branches=words(branches) or ["main"], name=name.strip())  # fmt: skip
    except ValidationError as exc:
        return back("/ui/webhooks", f"not created: {exc}")
    # the secret is shown once, on a page of its own for this session; never put in a URL (access logs keep URLs)
    return show_once(session, made)


@router.post("/webhooks/{webhook_id}/{action}")
def webhook_action(request: Request, webhook_id: str, action: str, csrf: Csrf = None) -> RedirectResponse:
    form_session(request, csrf)
    here = f"/ui/webhooks/{webhook_id}"
    if action == "enable":
        registry.enable_webhook(webhook_id)
        return back(here, "enabled; its breaker is reset")
    if action == "disable":
        registry.disable_webhook(webhook_id, "disabled from the dashboard")
        return back(here, "disabled")
    if action == "test":
        got = send_test(registry.get_webhook(webhook_id), get_settings())
        if got.error == NO_WORKER:
            return back(here, f"test event not sent: {no_worker_detail(get_settings())}")
        result = f"HTTP {got.status_code}" if got.status_code is not None else got.error
        return back(here, f"test event: {result} in {got.duration_ms:.1f} ms ({'ok' if got.ok else 'failed'})")
    if action == "probe":
        probing = probe_now(get_redis(), get_settings(), registry.get_webhook(webhook_id).id)
        return back(here, "probing now: the next delivery tests the endpoint" if probing else "its breaker is closed")
    if action == "release":
        n = reset(get_redis(), get_settings(), registry.get_webhook(webhook_id).id)
        return back(here, f"breaker closed; {n} waiting deliveries released to be sent now")
    return back(here, f"unknown action {action!r}")


@router.post("/deliveries/{delivery_id}/retry")
def retry(request: Request, delivery_id: str, csrf: Csrf = None) -> RedirectResponse:
    form_session(request, csrf)
    d = retry_now(delivery_id)
    return back(f"/ui/deliveries/{d.id}", f"sending again now (replay {d.replays})")


@router.post("/dlq/{delivery_id}/{action}")
def dlq_action(request: Request, delivery_id: str, action: str, csrf: Csrf = None,
               confirm: Text = "") -> RedirectResponse:  # fmt: skip
    form_session(request, csrf)
    try:
        if action == "replay":
            return back("/ui/dlq", f"replaying {replay(delivery_id).id}")
        if action == "purge" and confirm != "yes":  # it leaves the queue for good: asked on /ui/dlq/{id}/purge
            return back(f"/ui/dlq/{delivery_id}/purge", "not purged: tick the box to confirm.")
        if action == "purge":
            return back("/ui/dlq", f"purged {purge(delivery_id).id}")
    except ValidationError as exc:
        return back("/ui/dlq", str(exc))
    return back("/ui/dlq", f"unknown action {action!r}")


@router.post("/dlq-replay")
def dlq_replay_many(request: Request, webhook_id: Text = "", csrf: Csrf = None, confirm: Text = "") -> RedirectResponse:
    form_session(request, csrf)
    if confirm != "yes":  # every one of them is sent again to its endpoint
        return back("/ui/dlq", "nothing replayed: tick the box to confirm.")
    n = replay_many(webhook_id=webhook_id) if webhook_id else replay_many(all=True)
    return back("/ui/dlq", f"replaying {n} dead-lettered deliveries" + (f" of {webhook_id}" if webhook_id else ""))


@router.post("/publish", response_model=None)
def publish(request: Request, event_type: Text = "", data: Text = "{}", stack: Text = "default",
            branch: Text = "main", idempotency_key: Text = "", csrf: Csrf = None) -> Response:  # fmt: skip
    form_session(request, csrf)
    try:
        body = json.loads(data or "{}")
        event_id = publish_event(event_type.strip(), body, stack=stack.strip() or "default",
                                 branch=branch.strip() or "main", idempotency_key=idempotency_key.strip() or None)  # fmt: skip
    except json.JSONDecodeError as exc:
        return back("/ui/publish", f"not published: data: not valid JSON ({exc.msg}).")
    except RecursionError:  # json.loads gives up hundreds of levels down: far beyond what an event may nest
        return back("/ui/publish", f"not published: data: nests deeper than {MAX_DEPTH} levels.")
    except HooksError as exc:
        return back("/ui/publish", f"not published: {exc}")
    return back("/ui/publish", f"published {event_id}")


def words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]
