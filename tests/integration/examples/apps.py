"""Running an example app as it is deployed: its database, `hooks outbox migrate`, `hooks relay` and the app's
server, each process started in the example's folder and stopped by pid; and what its webhooks received."""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

import hooks
from hooks.history.db import make_engine
from hooks.local.postgres import PostgresServer
from hooks.local.processes import relay_args, stop_process
from hooks.local.receiver import Receiver
from tests.conftest import wait_for

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
BIN = Path(sys.executable).parent  # the tools installed beside this Python (flask, gunicorn, uvicorn)
_databases = itertools.count()


def start_in(folder: Path, args: Sequence[str | Path], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process in `folder` (its current directory), in its own session, output to `log`."""
    out = open(log, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen([str(a) for a in args], cwd=folder, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


@contextlib.contextmanager
def running(folder: Path, args: Sequence[str | Path], env: Mapping[str, str], log: Path) -> Iterator[Any]:
    """A process started in `folder` for the length of the block, stopped by pid after it."""
    proc = start_in(folder, args, env, log)
    try:
        yield proc
    finally:
        stop_process(proc)


def run_in(folder: Path, args: Sequence[str | Path], env: Mapping[str, str]) -> str:
    """Run a command in `folder` to its end; its output, or the test fails with it."""
    done = subprocess.run([str(a) for a in args], cwd=folder, env=dict(env), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}: {done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def app_database(kind: str, postgres_server: PostgresServer, tmp_dir: Path) -> Iterator[str]:
    """The URL of a new, empty database for an app: on the session's PostgreSQL (dropped after) or a SQLite file."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / 'shop.db'}"
        return
    name = f"hooks_example_{next(_databases)}"
    admin = make_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def prepare_outbox(folder: Path, url: str, env: Mapping[str, str]) -> None:
    """`hooks outbox migrate --url URL`, run from the app's folder as its deployment would."""
    out = run_in(folder, [sys.executable, "-m", "hooks", "outbox", "migrate", "--url", url], env)
    assert "outbox tables in" in out


@contextlib.contextmanager
def relay(folder: Path, url: str, env: Mapping[str, str], log: Path) -> Iterator[Any]:
    """`hooks relay` on the app's database, polling often (SQLite has no NOTIFY to wake it)."""
    relay_env = {**env, "HOOKS_OUTBOX_URL": url, "HOOKS_OUTBOX_POLL_S": "0.05"}
    with running(folder, relay_args(), relay_env, log) as proc:
        yield proc


@contextlib.contextmanager
def serving(folder: Path, args: Sequence[str | Path], env: Mapping[str, str], log: Path, url: str) -> Iterator[str]:
    """An app's server started in `folder`, once it answers GET /orders; yields its URL."""
    with running(folder, args, env, log) as proc:

        def up() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the app's server exited {proc.returncode}: {log.read_text()[-3000:]}")
            try:
                return httpx.get(url + "/orders", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, 60, what=f"the app on {url} ({log})")
        yield url


@contextlib.contextmanager
def engine_worker(folder: Path, args: Sequence[str], env: Mapping[str, str], log: Path) -> Iterator[Any]:
    """`hooks worker` started in `folder`, once it consumes."""
    with running(folder, args, env, log) as proc:

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the worker exited {proc.returncode}: {log.read_text()[-3000:]}")
            return log.exists() and " ready." in log.read_text()

        wait_for(ready, 60, what=f"the worker in {folder} to be ready")
        yield proc


def verified(receiver: Receiver, path: str, secret: str, count: int) -> list[dict[str, Any]]:
    """The payloads received at `path` once at least `count` have arrived, each verified with `secret`."""
    wait_for(lambda: len(receiver.requests_to(path)) >= count, 30, what=f"{count} requests at {path}")
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests_to(path)]


def subscribe(receiver: Receiver, path: str) -> str:
    """A webhook of the shop's stack for its orders and carts; returns its secret."""
    return hooks.create_webhook(receiver.url + path, ["orders.#", "carts.#"], stack="shop").secret


def place_order(shop: str, customer: str, **extra: Any) -> httpx.Response:
    """POST /orders for 12.50."""
    return httpx.post(shop + "/orders", json={"customer": customer, "total_cents": 1250, **extra}, timeout=10)


# The shop's contract: what both example apps (Flask and FastAPI) must do, each test module running it on its own
# server. `order_of(answer)` is the order as the app's 201 answer shows it.


def committed_order_is_delivered_once_signed(shop: str, receiver: Receiver, order_of: Any) -> None:
    """A committed order's event arrives once, signed, with the order's data; a later one follows it."""
    secret = subscribe(receiver, "/shop")
    placed = place_order(shop, "ada")
    assert placed.status_code == 201
    [event] = verified(receiver, "/shop", secret, 1)
    assert event["id"] == placed.json()["event_id"]
    assert (event["type"], event["stack"]) == ("orders.created", "shop")
    assert event["data"] == order_of(placed) == {"id": event["data"]["id"], "customer": "ada", "total_cents": 1250}
    later = place_order(shop, "bob").json()["event_id"]
    assert [e["id"] for e in verified(receiver, "/shop", secret, 2)] == [event["id"], later]


def declined_order_is_rolled_back_with_its_event(shop: str, receiver: Receiver) -> None:
    """A declined order (402) leaves neither its row nor its event: only the later order's event arrives."""
    secret = subscribe(receiver, "/shop")
    declined = place_order(shop, "eve", card="declined")
    assert declined.status_code == 402
    later = place_order(shop, "bob").json()["event_id"]
    received = verified(receiver, "/shop", secret, 1)
    assert [(e["data"]["customer"], e["id"]) for e in received] == [("bob", later)]
    assert "eve" not in [o["customer"] for o in httpx.get(shop + "/orders", timeout=10).json()]


def abandoned_cart_goes_straight_to_redis(shop: str, receiver: Receiver) -> None:
    """The route with no database write publishes with plain `publish_event` (202), and it arrives."""
    secret = subscribe(receiver, "/shop")
    answer = httpx.post(shop + "/carts/c-17/abandoned", json={"customer": "ada", "items": 3}, timeout=10)
    assert answer.status_code == 202
    [event] = verified(receiver, "/shop", secret, 1)
    assert (event["id"], event["type"]) == (answer.json()["event_id"], "carts.abandoned")
    assert event["data"] == {"cart_id": "c-17", "customer": "ada", "items": 3}
