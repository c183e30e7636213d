"""The dead-letter queue against a real Redis, real workers, a real scheduler and a scripted receiver."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from hooks import create_webhook, get_delivery, list_deliveries, publish_event
from hooks.cli import main
from hooks.cli.output import iso
from hooks.deliveries.dlq import list_dead, purge, purge_many, replay, replay_many, retry_now
from hooks.errors import NotFoundError, ValidationError
from hooks.history import DeliveryRecord, EventRecord, write_batch
from hooks.history.connection import get_engine
from hooks.models.ids import delivery_id, id_at, new_event_id, new_webhook_id
from hooks.models.webhook import Webhook
from hooks.settings import Settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import every, wait_for

EVENT = "entry.publish"


def hooks(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `hooks ARGV...` in-process: exit code, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def items(result: tuple[int, str, str]) -> list[Any]:
    """The items of a listing's JSON page."""
    return list(json.loads(result[1])["items"])


def failing_webhook(receiver: Any, path: str, **fields: Any) -> Webhook:
    """A webhook whose receiver path answers 500 (two attempts, unless `fields` say otherwise)."""
    receiver.script(path, [(500, 0, {})])
    fields.setdefault("retry", {"max_attempts": 2})
    return create_webhook(receiver.url + path, [EVENT], **fields)


def wait_dead(count: int, webhook_id: str | None = None) -> list[Any]:
    """Wait until `count` deliveries (of one webhook) are in the DLQ and nothing else is still being tried."""

    def settled() -> list[Any] | None:
        dead = list_dead(webhook_id=webhook_id)
        return dead if len(dead) == count and not list_deliveries(status="pending") else None

    return wait_for(settled, what=f"{count} dead-lettered deliveries")  # type: ignore[return-value]


def wait_delivered(ids: list[str]) -> None:
    wait_for(lambda: all(get_delivery(i, with_attempts=False).status == "delivered" for i in ids),
             what=f"{len(ids)} deliveries to be delivered")  # fmt: skip


def webhook_ids_seen(receiver: Any, path: str) -> list[str]:
    """The `webhook-id` header of every request to `path`, in order."""
    return [next(v for k, v in r.headers.items() if k.lower() == "webhook-id") for r in receiver.requests_to(path)]


def fake_dead(settings: Settings, n: int, webhook_id: str, *, at: float | None = None) -> list[str]:
    """Dead-lettered deliveries written straight into the history, with their events (of a webhook that does not
    exist); their event ids made at `at`, so they sort by it."""
    now = time.time() if at is None else at
    events = [EventRecord(f"evt_{id_at(now)}{new_event_id()[14:]}", EVENT, "default", "main", [], '{"n":1}', "{}")
              for _ in range(n)]  # fmt: skip
    dead = [DeliveryRecord(delivery_id(e.id, webhook_id), e.id, webhook_id, "default", "failed", now, now, attempts=1,
                           round_attempts=1, reason="attempts_exhausted", dead_lettered_at=now, in_dlq=True)
            for e in events]  # fmt: skip
    write_batch(get_engine(), events, dead)
    return [d.id for d in dead]


def statuses(settings: Settings, ids: list[str]) -> set[str]:
    return {get_delivery(i, with_attempts=False).status for i in ids}


# ---- dead-lettering and replay, end to end ---------------------------------------------------------------


def test_dead_letter_then_replay_keeps_the_webhook_id(
    settings: Settings, receiver: Any, worker: object, scheduler: object, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = failing_webhook(receiver, "/flaky")
    publish_event(EVENT, {"uid": "blt1"})
    (dead,) = wait_dead(1)
    assert dead.webhook_id == wh.id and dead.status == "failed" and dead.reason == "attempts_exhausted"
    assert dead.attempts == 2 and dead.dead_lettered_at is not None and dead.replays == 0

    code, out, _ = hooks(capsys, "dlq", "list", "--json")
    (listed,) = json.loads(out)["items"]
    assert code == 0 and listed["id"] == dead.id and listed["reason"] == "attempts_exhausted"
    assert listed["dead_lettered_at"] == iso(dead.dead_lettered_at)
    assert dead.id in hooks(capsys, "dlq", "list")[1]
    assert [d["id"] for d in items(hooks(capsys, "dlq", "list", "--since", "1h", "--json"))] == [dead.id]
    assert items(hooks(capsys, "dlq", "list", "--since", "2999-01-01T00:00:00Z", "--json")) == []
    assert items(hooks(capsys, "dlq", "list", "--webhook", new_webhook_id(), "--json")) == []
    code, out, _ = hooks(capsys, "dlq", "show", dead.id)
    assert code == 0 and "attempts_exhausted" in out and out.count(" 500 ") == 2
    shown = json.loads(hooks(capsys, "dlq", "show", dead.id, "--json")[1])
    assert [a["replay"] for a in shown["attempt_log"]] == [False, False]

    receiver.script("/flaky", [(204, 0, {})])
    code, out, err = hooks(capsys, "dlq", "replay", dead.id)
    assert code == 0 and dead.id in out, err
    wait_delivered([dead.id])
    after = get_delivery(dead.id)
    assert after.replays == 1 and after.attempts == 3 and after.round_attempts == 1 and after.reason is None
    assert [(a["replay"], a["round"]) for a in after.attempt_log] == [(False, 0), (False, 0), (True, 1)]
    assert webhook_ids_seen(receiver, "/flaky") == [dead.id] * 3  # one id: receivers de-duplicate on it
    assert list_dead() == []
    code, _, err = hooks(capsys, "dlq", "replay", dead.id)
    assert code == 2 and f"delivery {dead.id} is not in the dead-letter queue" in err
    code, _, err = hooks(capsys, "dlq", "show", dead.id)
    assert code == 2 and "not in the dead-letter queue" in err


def test_replay_by_webhook_then_all(
    settings: Settings, receiver: Any, worker: object, scheduler: object, capsys: pytest.CaptureFixture[str]
) -> None:
    a = failing_webhook(receiver, "/a", retry={"max_attempts": 1})
    b = failing_webhook(receiver, "/b", retry={"max_attempts": 1})
    publish_event(EVENT, {"n": 1})
    publish_event(EVENT, {"n": 2})
    wait_dead(4)
    receiver.script("/a", [(204, 0, {})])
    receiver.script("/b", [(204, 0, {})])
    a_ids = [d.id for d in list_dead(webhook_id=a.id)]
    b_ids = [d.id for d in list_dead(webhook_id=b.id)]
    assert len(a_ids) == len(b_ids) == 2

    code, out, _ = hooks(capsys, "dlq", "replay", "--webhook", a.id)
    assert code == 0 and "replaying 2 " in out
    wait_delivered(a_ids)
    assert sorted(d.id for d in list_dead()) == sorted(b_ids)
    code, out, _ = hooks(capsys, "dlq", "replay", "--all")
    assert code == 0 and "replaying 2 " in out
    wait_delivered(b_ids)
    assert list_dead() == []
    assert sorted(webhook_ids_seen(receiver, "/a")) == sorted(a_ids * 2)
    assert all(get_delivery(i).attempt_log[-1]["replay"] for i in a_ids + b_ids)
    assert hooks(capsys, "dlq", "replay", "--all")[1].startswith("replaying 0 ")


def test_purge_one_by_webhook_and_all_keeps_the_records(
    settings: Settings, receiver: Any, worker: object, scheduler: object, capsys: pytest.CaptureFixture[str]
) -> None:
    a = failing_webhook(receiver, "/pa", retry={"max_attempts": 1})
    failing_webhook(receiver, "/pb", retry={"max_attempts": 1})
    publish_event(EVENT, {"n": 1})
    publish_event(EVENT, {"n": 2})
    wait_dead(4)
    first = list_dead(webhook_id=a.id)[0].id

    code, out, _ = hooks(capsys, "dlq", "purge", first)
    assert code == 0 and first in out
    kept = get_delivery(first)
    assert kept.reason == "purged" and kept.status == "failed" and len(kept.attempt_log) == 1
    assert first not in {d.id for d in list_dead()}
    code, _, err = hooks(capsys, "dlq", "purge", first)
    assert code == 2 and "not in the dead-letter queue" in err
    assert hooks(capsys, "dlq", "purge", "--webhook", a.id)[1].startswith("purged 1 ")
    assert hooks(capsys, "dlq", "purge", "--all")[1].startswith("purged 2 ")
    assert list_dead() == []
    assert [d.reason for d in list_deliveries()] == ["purged"] * 4
    assert get_redis().zcard(Keys(settings).retry) == 0  # nothing was sent again
    assert "the dead-letter queue is empty." in hooks(capsys, "dlq", "list")[1]


def test_delivery_retry_resends_delivered_and_dead_deliveries(
    settings: Settings, receiver: Any, worker: object, scheduler: object, capsys: pytest.CaptureFixture[str]
) -> None:
    create_webhook(receiver.url + "/ok", [EVENT])
    bad = failing_webhook(receiver, "/bad", retry={"max_attempts": 1})
    publish_event(EVENT, {"n": 1})
    (dead,) = wait_dead(1)
    (ok,) = list_deliveries(status="delivered")

    code, out, _ = hooks(capsys, "delivery", "retry", ok.id)
    assert code == 0 and ok.id in out
    wait_for(lambda: get_delivery(ok.id).attempts == 2 and get_delivery(ok.id).status == "delivered")
    assert webhook_ids_seen(receiver, "/ok") == [ok.id, ok.id]
    assert [a["replay"] for a in get_delivery(ok.id).attempt_log] == [False, True]

    receiver.script("/bad", [(204, 0, {})])
    assert hooks(capsys, "delivery", "retry", dead.id)[0] == 0
    wait_delivered([dead.id])
    assert list_dead(webhook_id=bad.id) == [] and get_delivery(dead.id).replays == 1
    assert webhook_ids_seen(receiver, "/bad") == [dead.id, dead.id]


def test_manual_retry_policy_dead_letters_after_one_attempt(
    settings: Settings, receiver: Any, worker: object, scheduler: object, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.script("/manual", [(500, 0, {})])
    code, out, _ = hooks(capsys, "webhook", "add", "--url", receiver.url + "/manual", "--event", EVENT,
                         "--manual-retry", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["retry_policy"] == "manual"
    publish_event(EVENT, {"n": 1})
    (dead,) = wait_dead(1)
    assert dead.attempts == 1 and dead.reason == "manual_retry_policy"
    assert len(receiver.requests_to("/manual")) == 1
    assert get_redis().zscore(Keys(settings).retry, dead.id) is None


def test_two_replays_at_once_act_once(settings: Settings, receiver: Any, worker: object, scheduler: object) -> None:
    failing_webhook(receiver, "/race", retry={"max_attempts": 1})
    publish_event(EVENT, {"n": 1})
    (dead,) = wait_dead(1)
    receiver.script("/race", [(204, 0, {})])
    barrier = threading.Barrier(4)
    results: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            replay(dead.id)
            results.append("ok")
        except ValidationError:
            results.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    wait_delivered([dead.id])
    assert get_delivery(dead.id).replays == 1 and webhook_ids_seen(receiver, "/race") == [dead.id] * 2


# ---- the API's rules -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_replay_and_purge_many_work_in_chunks(settings: Settings, worker: object, scheduler: object) -> None:
    x, y = new_webhook_id(), new_webhook_id()
    x_ids = fake_dead(settings, 1203, x)  # more than one page (1,000)
    y_ids = fake_dead(settings, 3, y)
    assert replay_many(webhook_id=x) == 1203
    assert sorted(d.id for d in every(list_dead)) == sorted(y_ids)
    with get_redis().pipeline(transaction=False) as pipe:
        for i in x_ids:
            pipe.hget(Keys(settings).delivery(i), "replays")
        assert set(pipe.execute()) == {b"1"}  # back in flight, in Redis, with the same ids
    assert purge_many(all=True) == 3
    # the replayed deliveries' webhook does not exist: each ends failed (webhook_deleted), not dead again
    wait_for(lambda: statuses(settings, x_ids) == {"failed"}, timeout_s=60, what="the replays to run")
    assert list_dead() == []


def test_list_dead_is_newest_first_and_filters(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    wh = new_webhook_id()
    now = time.time()
    old = fake_dead(settings, 1, wh, at=now - 3 * 3600)
    mid = fake_dead(settings, 1, wh, at=now - 3600)
    new = fake_dead(settings, 1, wh, at=now - 60)
    other = fake_dead(settings, 1, new_webhook_id(), at=now - 30)
    assert [d.id for d in list_dead()] == other + new + mid + old
    assert [d.id for d in list_dead(webhook_id=wh)] == new + mid + old
    assert [d.id for d in list_dead(webhook_id=wh, limit=2)] == new + mid
    assert [d.id for d in list_dead(since=now - 2 * 3600)] == other + new + mid
    out = hooks(capsys, "dlq", "list", "--webhook", wh, "--since", "30m", "--json")
    assert [d["id"] for d in items(out)] == new
    page = json.loads(hooks(capsys, "dlq", "list", "--since", iso(now - 2 * 3600 - 5) or "", "--limit", "2",
                            "--json")[1])  # fmt: skip
    assert [d["id"] for d in page["items"]] == other + new
    rest = hooks(capsys, "dlq", "list", "--since", iso(now - 2 * 3600 - 5) or "", "--cursor", page["next_cursor"],
                 "--json")  # fmt: skip
    assert [d["id"] for d in items(rest)] == mid and json.loads(rest[1])["next_cursor"] is None


def test_bad_arguments_are_refused(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    (dead,) = fake_dead(settings, 1, new_webhook_id())
    with pytest.raises(ValidationError, match="exactly one"):
        replay_many()
    with pytest.raises(ValidationError, match="exactly one"):
        purge_many(webhook_id="wh_x", all=True)
    with pytest.raises(ValidationError, match="limit"):
        list_dead(limit=0)
    with pytest.raises(NotFoundError):
        replay("msg_nope")
    with pytest.raises(NotFoundError):
        retry_now(delivery_id(new_event_id(), new_webhook_id()))
    purge(dead)
    with pytest.raises(ValidationError, match="is not in the dead-letter queue"):
        replay(dead)
    for argv, message in ((["dlq", "replay"], "give one delivery ID, --webhook ID or --all"),
                          (["dlq", "purge"], "give one delivery ID, --webhook ID or --all"),
                          (["dlq", "list", "--since", "yesterday"], "--since: expected ISO 8601")):  # fmt: skip
        code, _, err = hooks(capsys, *argv)
        assert code == 2 and message in err
    code, _, err = hooks(capsys, "dlq", "replay", dead, "--all")
    assert code == 2 and "not allowed with argument" in err
