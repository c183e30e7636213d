"""The delivery-id include (includes/delivery_id.lua) agrees with the Python id format (hooks/models/ids.py),
run on the embedded Redis 6.2 and the system's 7.x: the Lua side and the Python side make and read the same ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from hooks.local.servers import RedisServer
from hooks.models.ids import delivery_id, new_event_id, new_webhook_id, split_delivery_id
from hooks.store.scripts import expand

# ARGV: an event id, a webhook id, a delivery id -> the delivery id of the first two, the event and the webhook of
# the third
_EVAL_LUA = expand(
    """--- @include "delivery_id"
return {delivery_id(ARGV[1], ARGV[2]), event_of(ARGV[3]), webhook_of(ARGV[3])}
"""
)

# the parts of real ids are 26 Crockford base32 digits (hooks/models/ids.py); any underscore-free part will do
parts = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZabc-", min_size=1, max_size=30)


@pytest.fixture(scope="module")
def client(each_redis_server: RedisServer) -> Iterator[redis.Redis]:
    conn = redis.Redis(port=each_redis_server.port, decode_responses=True)
    yield conn
    conn.close()


def lua_says(client: redis.Redis, ev: str, wh: str, dl: str) -> list[str]:
    return client.eval(_EVAL_LUA, 0, ev, wh, dl)  # type: ignore[no-any-return]


def test_new_ids_round_trip_through_lua_as_through_python(client: redis.Redis) -> None:
    for _ in range(20):
        ev, wh = new_event_id(), new_webhook_id()
        made = delivery_id(ev, wh)
        assert split_delivery_id(made) == (ev, wh)
        assert lua_says(client, ev, wh, made) == [made, ev, wh]


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ev_part=parts, wh_part=parts)
def test_lua_and_python_make_and_read_the_same_ids(client: redis.Redis, ev_part: str, wh_part: str) -> None:
    ev, wh = f"evt_{ev_part}", f"wh_{wh_part}"
    made = delivery_id(ev, wh)
    assert lua_says(client, ev, wh, made) == [made, *split_delivery_id(made)]
