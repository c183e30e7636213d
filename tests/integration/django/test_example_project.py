"""The Django example end to end, on SQLite and on PostgreSQL: a request creates a post inside `transaction.atomic()`
and publishes `blog.post.created` through hooks.contrib.django; gunicorn serves it, `manage.py hooks_relay` moves the
committed event to Redis, a worker started from the project's folder delivers it, the receiver verifies it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardVerifier

from hooks.deliveries.events import get_event
from hooks.errors import NotFoundError
from hooks.local.receiver import Receiver
from hooks.models.webhook import Webhook
from tests.conftest import wait_for
from tests.integration.django.project import Site, shell

pytestmark = pytest.mark.slow  # the example served by gunicorn with its relay and worker, on two databases
QUIET_S = 0.5  # how long nothing more may arrive once the last expected request has


def arrived(receiver: Receiver, count: int) -> list[Any]:
    """The receiver's requests at /blog once `count` have arrived."""

    def enough() -> list[Any]:
        got = receiver.requests_to("/blog")
        return got if len(got) >= count else []

    return wait_for(enough, 20, what=f"{count} webhook(s) at /blog")  # type: ignore[return-value]


def stays(condition: Any, for_s: float) -> None:
    """Fail unless `condition` holds all along the next `for_s` seconds."""
    deadline = time.monotonic() + for_s
    while time.monotonic() < deadline:
        assert condition()
        time.sleep(0.05)


def verified(hook: Webhook, request: Any) -> dict[str, Any]:
    """The payload of a request whose Standard Webhooks signature holds (raises otherwise)."""
    payload: dict[str, Any] = StandardVerifier(hook.secret).verify(request.body, request.headers)
    return payload


def test_a_post_created_in_a_request_is_delivered_once_and_signed(
    site: Site, blog_webhook: Webhook, receiver: Receiver
) -> None:
    status, answer = site.post("/posts/", {"title": "Hello", "body": "First post"})
    assert status == 201

    (request,) = arrived(receiver, 1)
    payload = verified(blog_webhook, request)
    assert payload["id"] == answer["event_id"]
    assert payload["type"] == "blog.post.created"
    assert (payload["stack"], payload["data"]["id"], payload["data"]["title"]) == ("blog", answer["id"], "Hello")
    wait_for(lambda: site.outbox() == (0, 0), 10, what="the relay to delete the row")
    stays(lambda: len(receiver.requests_to("/blog")) == 1, QUIET_S)


def test_a_post_rolled_back_after_publishing_sends_nothing(
    site: Site, blog_webhook: Webhook, receiver: Receiver
) -> None:
    status, failed = site.post("/posts/", {"title": "Doomed", "fail": "1"})
    assert status == 500
    assert failed["rolled_back_event_id"].startswith("evt_")
    status, kept = site.post("/posts/", {"title": "Kept"})
    assert status == 201

    (request,) = arrived(receiver, 1)  # the later, committed event: the relay has looked since the rollback
    assert verified(blog_webhook, request)["id"] == kept["event_id"]
    stays(lambda: len(receiver.requests_to("/blog")) == 1, QUIET_S)
    with pytest.raises(NotFoundError):
        get_event(failed["rolled_back_event_id"])
    assert [p["title"] for p in site.get("/posts/")[1]["posts"]][-1] == "Kept"
    assert "Doomed" not in json.dumps(site.get("/posts/")[1])
    assert site.outbox() == (0, 0)


def test_events_published_outside_a_transaction_are_committed_at_once(
    site: Site, blog_webhook: Webhook, receiver: Receiver
) -> None:
    printed = shell(
        site.env,
        "import json\nfrom hooks.contrib.django import publish_events\n"
        "print(json.dumps(publish_events([{'event_type': 'blog.post.imported', 'data': {'n': n}, 'stack': 'blog'} "
        "for n in range(3)])))",
    )

    requests = arrived(receiver, 3)
    ids = sorted(verified(blog_webhook, r)["id"] for r in requests)
    assert ids == sorted(json.loads(printed.strip().splitlines()[-1]))


def test_a_row_that_can_never_be_published_is_set_aside_and_put_back_from_the_admin(site: Site) -> None:
    site.insert_raw_row("Not A Valid Type")
    wait_for(lambda: site.outbox() == (0, 1), 10, what="the relay to set the row aside")

    printed = shell(site.env, ADMIN_SCRIPT)

    listing, action = printed.strip().splitlines()[-2:]
    assert listing == "200 True"  # the changelist shows the row with its error
    assert action == "302 0"  # the action took it out of hooks_outbox_failed, back into the outbox
    wait_for(lambda: site.outbox() == (0, 1), 10, what="the relay to set the row aside again")


ADMIN_SCRIPT = """
from django.contrib.auth.models import User
from django.test import Client
from hooks.contrib.django.models import FailedOutboxEvent
user, _ = User.objects.get_or_create(username="ops", defaults={"is_staff": True, "is_superuser": True})
client = Client(HTTP_HOST="localhost")
client.force_login(user)
listing = client.get("/admin/hooks/failedoutboxevent/")
print(listing.status_code, "event_type: must be" in listing.content.decode())
row = FailedOutboxEvent.objects.get()
answer = client.post("/admin/hooks/failedoutboxevent/", {"action": "put_back", "_selected_action": [row.pk]})
print(answer.status_code, FailedOutboxEvent.objects.filter(pk=row.pk).count())
"""
