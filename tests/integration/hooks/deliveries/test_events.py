"""Events as operators see them, in flight or in the history; erasing payloads; `hooks status`."""

from __future__ import annotations

import json
import re
import time

import hooks
from hooks.cli import main
from hooks.deliveries.events import get_event
from hooks.history.connection import get_engine
from hooks.history.queries import get_event as history_event
from tests.conftest import wait_for


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_event_waiting_for_fan_out_is_listed_and_shown(make_cluster, capsys):
    # Given no worker running, when an event is published
    make_cluster()
    event_id = hooks.publish_event("entry.publish", {"title": "Hello"}, stack="blog")
    # Then it is listed and shown at once, waiting for its fan-out, with its payload
    code, out, _ = run(capsys, "events", "--json")
    (listed,) = json.loads(out)["items"]
    assert code == 0 and listed["id"] == event_id and listed["state"] == "waiting" and listed["body"] is None
    code, out, _ = run(capsys, "event", "show", event_id)
    assert code == 0 and "waiting for fan-out" in out and '"title": "Hello"' in out
    assert get_event(event_id).body["data"] == {"title": "Hello"}


def test_an_event_is_shown_with_its_deliveries_in_flight_and_from_the_history(make_cluster, receiver, capsys):
    cluster = make_cluster(HOOKS_FINISHED_TTL_S="1")
    cluster.worker(), cluster.scheduler()
    a = hooks.create_webhook(receiver.url + "/a", ["e"])
    b = hooks.create_webhook(receiver.url + "/b", ["e"])
    event_id = hooks.publish_event("e", {"n": 1})
    wait_for(lambda: len(get_event(event_id).deliveries) == 2 and get_event(event_id).state == "finished",
             what="both deliveries finished")  # fmt: skip
    # once it has left Redis, the history has it all
    wait_for(lambda: not cluster_has_event(cluster, event_id), 15, what="the event to leave Redis")
    shown = json.loads(run(capsys, "event", "show", event_id, "--json")[1])
    assert shown["state"] == "finished" and shown["body"]["data"] == {"n": 1}
    assert sorted(d["webhook_id"] for d in shown["deliveries"]) == sorted([a.id, b.id])
    assert {d["status"] for d in shown["deliveries"]} == {"delivered"}


def cluster_has_event(cluster, event_id: str) -> bool:
    from hooks.store.connection import get_redis
    from hooks.store.keys import Keys

    return bool(get_redis().exists(Keys(cluster.settings).event(event_id)))


def test_purging_an_event_removes_its_payload_in_flight_and_in_the_history(make_cluster, receiver, capsys):
    cluster = make_cluster()
    cluster.worker(), cluster.scheduler()
    hooks.create_webhook(receiver.url + "/ok", ["e"])
    done = hooks.publish_event("e", {"secret": "address of a person"})
    wait_for(lambda: history_event_or_none(done), what="the event in the history")
    waiting = hooks.publish_event("nobody.listens", {"secret": "another person"})  # in flight, fanned out to none
    for event_id in (done, waiting):
        code, out, _ = run(capsys, "event", "purge", event_id)
        assert code == 0 and "removed the payload" in out
    assert history_event(get_engine(), done).event.body is None
    assert history_event(get_engine(), done).event.erased_at is not None
    assert "person" not in json.dumps(get_event(waiting).to_dict()) + json.dumps(get_event(done).to_dict())
    assert run(capsys, "event", "purge", "evt_01M8T6Q1858VZY27KSC63DGW4D")[0] == 1  # not found


def test_a_payload_erased_while_its_history_record_is_on_its_way_never_reaches_the_history(make_cluster, capsys):
    # Given an event fanned out to no webhook, finished, its record (with the payload) waiting in the history
    # stream because no archiver runs yet
    from hooks.store.connection import get_redis
    from hooks.store.keys import Keys

    cluster = make_cluster(archiver=False)
    cluster.worker()
    event_id = hooks.publish_event("nobody.listens", {"secret": "a person's address"})
    keys = Keys(cluster.settings)
    wait_for(lambda: get_redis().xlen(keys.history) > 0, what="the event's record in the history stream")
    assert b"a person's address" in b"".join(v for _, f in get_redis().xrange(keys.history) for v in f.values())

    # When it is purged (the history has no row to clear yet), then the archiver writes the record
    code, out, _ = run(capsys, "event", "purge", event_id)
    assert code == 0 and "removed the payload" in out
    cluster.archiver()
    wait_for(lambda: history_event_or_none(event_id), what="the event in the history")

    # Then the history keeps no payload: the archiver erased it again once written
    wait_for(lambda: history_event(get_engine(), event_id).event.erased_at is not None, 10, what="the erasure")
    assert history_event(get_engine(), event_id).event.body is None
    wait_for(lambda: not get_redis().exists(keys.event(event_id)) or get_event(event_id).body is None, 5,
             what="no payload shown")  # fmt: skip
    assert "person" not in json.dumps(get_event(event_id).to_dict())


def history_event_or_none(event_id: str):
    from hooks.errors import NotFoundError

    try:
        return history_event(get_engine(), event_id)
    except NotFoundError:
        return None


def test_erasing_a_stack_before_a_time_leaves_newer_events_and_other_stacks(make_cluster, receiver, capsys):
    cluster = make_cluster()
    cluster.worker(), cluster.scheduler()
    hooks.create_webhook(receiver.url + "/s", ["e"], stack="shop")
    old = hooks.publish_event("e", {"who": "old"}, stack="shop")
    other = hooks.publish_event("e", {"who": "other"}, stack="blog")
    wait_for(lambda: history_event_or_none(old) and history_event_or_none(other), what="both in the history")
    time.sleep(0.01)
    cut = time.time()
    new = hooks.publish_event("e", {"who": "new"}, stack="shop")
    code, out, _ = run(
        capsys,
        "erase",
        "--stack",
        "shop",
        "--before",
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(cut)) + f".{int(cut % 1 * 1000):03d}Z",
    )
    assert code == 0 and "removed the payloads of 1 events of stack shop" in out
    assert get_event(old).body is None and get_event(new).body["data"] == {"who": "new"}
    assert get_event(other).body["data"] == {"who": "other"}


def test_status_shows_the_work_in_flight_and_the_history_backlog(make_cluster, capsys):
    make_cluster(archiver=False)
    hooks.publish_events([{"event_type": "e", "data": {}} for _ in range(3)])
    code, out, _ = run(capsys, "status", "--json")
    data = json.loads(out)
    assert code == 0 and data["in_flight"]["events_waiting_fan_out"] == 3 and data["in_flight"]["events"] == 3
    assert data["history"]["reachable"] and data["history"]["schema_revision"] == data["history"]["schema_head"]
    assert data["history"]["backlog_entries"] == 0
    code, out, _ = run(capsys, "status")
    assert code == 0 and re.search(r"^waiting for fan-out: +3$", out, re.MULTILINE), out


def test_erasing_a_stack_removes_its_payloads_in_flight_marks_them_and_leaves_other_stacks_alone(make_cluster):
    from hooks.deliveries.events import erase_stack
    from hooks.store.connection import get_redis
    from hooks.store.keys import Keys

    # Given events waiting for their fan-out (no worker) in two stacks
    cluster = make_cluster(archiver=False)
    mine = [hooks.publish_event("e", {"secret": f"person {i}"}, stack="a") for i in range(3)]
    other = hooks.publish_event("e", {"secret": "someone else"}, stack="b")
    # When stack a is erased, then its three payloads are gone and marked for the archiver; b's stays
    assert erase_stack("a") == 3
    keys, client = Keys(cluster.settings), get_redis()
    assert all(get_event(i).body is None for i in mine) and get_event(other).body is not None
    assert all(client.exists(keys.erased(i)) for i in mine) and not client.exists(keys.erased(other))
