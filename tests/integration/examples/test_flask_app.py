"""examples/flask_app end to end: gunicorn serves the shop from its folder (beside its own config.py and
workers.py), `hooks relay` moves its committed outbox rows to Redis, a `hooks worker` started in the same folder
delivers them, and a receiver verifies every signature. On PostgreSQL (NOTIFY) and on SQLite (polling)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hooks.local.postgres import PostgresServer
from hooks.local.processes import worker_args
from hooks.local.receiver import Receiver
from hooks.local.servers import free_port
from hooks.settings import Settings
from tests.integration.examples.apps import (
    BIN,
    EXAMPLES,
    abandoned_cart_goes_straight_to_redis,
    app_database,
    committed_order_is_delivered_once_signed,
    declined_order_is_rolled_back_with_its_event,
    engine_worker,
    prepare_outbox,
    relay,
    run_in,
    serving,
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
    committed_order_is_delivered_once_signed(
        shop, receiver, order_of=lambda answer: {k: answer.json()[k] for k in ("id", "customer", "total_cents")}
    )


def test_a_declined_order_is_rolled_back_with_its_event(shop: str, receiver: Receiver, settings: Settings) -> None:
    declined_order_is_rolled_back_with_its_event(shop, receiver)


def test_an_abandoned_cart_goes_straight_to_redis(shop: str, receiver: Receiver, settings: Settings) -> None:
    abandoned_cart_goes_straight_to_redis(shop, receiver)
