"""examples/flask_app end to end: gunicorn serves the shop from its folder (beside its own config.py and
workers.py), `hooks relay` moves its committed outbox rows to Redis, a `hooks worker` started in the same folder
delivers them, and a receiver verifies every signature. On PostgreSQL (NOTIFY) and on SQLite (polling)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from hooks.local.postgres import PostgresServer
from hooks.local.processes import worker_args
from hooks.local.receiver import Receiver
from hooks.local.servers import free_port
from hooks.settings import Settings
from tests.integration.examples.apps import (
    BIN,
    EXAMPLES,
    app_database,
    engine_worker,
    place_order,
    prepare_outbox,
    relay,
    run_in,
    serving,
    subscribe,
    verified,
)

FOLDER = EXAMPLES / "flask_app"


@pytest.fixture(scope="module")
def worker_in_app_folder(hooks_env: dict[str, str], log_dir: Path) -> Iterator[Any]:
    """The deliveries' worker, started where the app's own `workers.py` sits: it must load the engine anyway."""
    with engine_worker(FOLDER, worker_args(concurrency=4), hooks_env, log_dir / "flask-worker.log") as proc:
        yield proc


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def shop(
    request: pytest.FixtureRequest,
    hooks_env: dict[str, str],
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
    log_dir: Path,
    worker_in_app_folder: Any,
) -> Iterator[str]:
    """The shop served by gunicorn on a fresh database of its own, its tables and the outbox's made, a relay on it."""
    kind = request.param
    with app_database(kind, postgres_server, tmp_path_factory.mktemp("flask-shop")) as url:
        env = {**hooks_env, "DATABASE_URL": url}
        run_in(FOLDER, [BIN / "flask", "--app", "shop", "init-db"], env)
        prepare_outbox(FOLDER, url, env)
        port = free_port()
        gunicorn = [BIN / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket", "shop:create_app()"]
        with (
            relay(FOLDER, url, hooks_env, log_dir / f"flask-relay-{kind}.log"),
            serving(FOLDER, gunicorn, env, log_dir / f"flask-gunicorn-{kind}.log", f"http://127.0.0.1:{port}") as base,
        ):
            yield base


def test_a_committed_order_is_delivered_once_signed(shop: str, receiver: Receiver, settings: Settings) -> None:
    secret = subscribe(receiver, "/shop")

    placed = place_order(shop, "ada")

    assert placed.status_code == 201
    [event] = verified(receiver, "/shop", secret, 1)
    assert event["id"] == placed.json()["event_id"]
    assert (event["type"], event["stack"]) == ("orders.created", "shop")
    assert event["data"] == {"id": placed.json()["id"], "customer": "ada", "total_cents": 1250}
    later = place_order(shop, "bob").json()["event_id"]
    assert [e["id"] for e in verified(receiver, "/shop", secret, 2)] == [event["id"], later]


def test_a_declined_order_is_rolled_back_with_its_event(shop: str, receiver: Receiver, settings: Settings) -> None:
    secret = subscribe(receiver, "/shop")

    declined = place_order(shop, "eve", card="declined")

    assert declined.status_code == 402
    later = place_order(shop, "bob").json()["event_id"]
    received = verified(receiver, "/shop", secret, 1)
    assert [(e["data"]["customer"], e["id"]) for e in received] == [("bob", later)]
    assert "eve" not in [o["customer"] for o in httpx.get(shop + "/orders", timeout=10).json()]


def test_an_abandoned_cart_goes_straight_to_redis(shop: str, receiver: Receiver, settings: Settings) -> None:
    secret = subscribe(receiver, "/shop")

    answer = httpx.post(shop + "/carts/c-17/abandoned", json={"customer": "ada", "items": 3}, timeout=10)

    assert answer.status_code == 202
    [event] = verified(receiver, "/shop", secret, 1)
    assert (event["id"], event["type"]) == (answer.json()["event_id"], "carts.abandoned")
    assert event["data"] == {"cart_id": "c-17", "customer": "ada", "items": 3}
