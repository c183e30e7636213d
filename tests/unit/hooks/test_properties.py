"""Properties of the input checks: whatever a caller passes, the answer is a value or a ValidationError.

The strategies are in tests/strategies.py, shared with the safety tests against a real Redis.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import event, example, given
from hypothesis import strategies as st

from hooks.errors import ValidationError
from hooks.models.event import Event, build_event
from hooks.models.webhook import Webhook
from hooks.registry.webhooks import _validate
from hooks.settings import Settings
from tests.strategies import (
    PROPERTY,
    WEBHOOK_FIELDS,
    auth,
    event_kwargs,
    events_lists,
    old_secrets,
    secrets,
    urls,
    webhook_fields,
)
from workers.attempt.attempt import request_headers


@PROPERTY
@given(kwargs=event_kwargs(), max_bytes=st.integers(min_value=1024, max_value=256 * 1024))
def test_build_event_returns_an_event_or_raises_validation_error(kwargs, max_bytes):
    kwargs = dict(kwargs)
    try:
        built = build_event(kwargs.pop("event_type"), kwargs.pop("data"), max_bytes=max_bytes, **kwargs)
    except ValidationError as exc:
        assert str(exc) and "\n" not in str(exc)
        event("refused: " + str(exc).split(":")[0])
        return
    event("accepted")
    assert isinstance(built, Event) and len(built.body) <= max_bytes
    assert built.body.decode() and built.concise_body.decode()  # valid UTF-8 JSON


@PROPERTY
@given(url=urls, events=events_lists, fields=webhook_fields())
def test_validating_a_webhook_returns_it_or_raises_validation_error(url, events, fields):
    try:
        webhook = _validate({"url": url, "events": events, **fields})
    except ValidationError as exc:
        assert str(exc) and "\n" not in str(exc)
        event("refused: " + str(exc).split(":")[0])
        return
    event("accepted")
    assert isinstance(webhook, Webhook)
    assert Webhook.model_validate_json(webhook.model_dump_json()) == webhook


_valid_webhook_fields = st.fixed_dictionaries(
    {"url": st.just("https://hooks.example.test/in"), "events": st.just(["a.b"])},
    optional={
        "secret": secrets,
        "old_secrets": old_secrets,
        "signing_key": WEBHOOK_FIELDS["signing_key"],
        "headers": WEBHOOK_FIELDS["headers"],
        "auth": auth,
    },
)
_FUTURE = (datetime.now(timezone.utc) + timedelta(days=365)).isoformat()


@PROPERTY
@given(fields=_valid_webhook_fields)
@example(fields={"url": "https://hooks.example.test/in", "events": ["a.b"],
                 "old_secrets": [{"secret": "x", "expires_at": _FUTURE}]})  # fmt: skip
@example(fields={"url": "https://hooks.example.test/in", "events": ["a.b"], "headers": {"X-Name": "日本"}})
@example(
    fields={"url": "https://hooks.example.test/in", "events": ["a.b"], "auth": {"type": "bearer", "token": "日本"}}
)
def test_a_webhook_that_validates_can_always_sign_its_requests(fields):
    """Validation is the only gate: a stored webhook whose secrets cannot sign would crash every attempt."""
    try:
        webhook = _validate(fields)
    except ValidationError:
        return
    headers = request_headers(webhook, "msg_x_y", b"{}", Settings())
    assert headers["webhook-signature"].startswith("v1,")
    for name, value in headers.items():  # what http.client can put on the wire
        assert "\n" not in value and "\r" not in value, name
        value.encode("latin-1")
