"""examples/fastapi_app end to end: uvicorn serves the shop from its folder on a fresh PostgreSQL database,
`hooks relay` moves its committed outbox rows to Redis, the session's worker delivers them, and a receiver
verifies every signature."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hooks.local.postgres import PostgresServer
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
    prepare_outbox,
    relay,
    serving,
)

FOLDER = EXAMPLES / "fastapi_app"


@pytest.fixture(scope="module")
def shop(
    hooks_env: dict[str, str],
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
    log_dir: Path,
    worker: Any,
) -> Iterator[str]:
    """The shop served by uvicorn on a fresh database of its own, the outbox's tables made, a relay on it."""
    with app_database("postgresql", postgres_server, tmp_path_factory.mktemp("fastapi-shop")) as url:
        env = {**hooks_env, "DATABASE_URL": url}
        prepare_outbox(FOLDER, url, env)
        port = free_port()
        uvicorn = [BIN / "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
        with (
            relay(FOLDER, url, hooks_env, log_dir / "fastapi-relay.log"),
            serving(FOLDER, uvicorn, env, log_dir / "fastapi-uvicorn.log", f"http://127.0.0.1:{port}") as base,
        ):
            yield base


def test_a_committed_order_is_delivered_once_signed(shop: str, receiver: Receiver, settings: Settings) -> None:
    committed_order_is_delivered_once_signed(shop, receiver, order_of=lambda answer: answer.json()["order"])


def test_a_declined_order_is_rolled_back_with_its_event(shop: str, receiver: Receiver, settings: Settings) -> None:
    declined_order_is_rolled_back_with_its_event(shop, receiver)


def test_an_abandoned_cart_goes_straight_to_redis(shop: str, receiver: Receiver, settings: Settings) -> None:
    abandoned_cart_goes_straight_to_redis(shop, receiver)
