"""Webhooks in Redis: create, read, update, delete, and the index that resolves an event to its webhooks.

The index never scans every webhook. Patterns without wildcards are sets keyed by the exact channel, found by
direct lookup of the event's type and channels; wildcard patterns are listed per stack (usually few) and matched
against the topics, then their sets are read. Each stack also has a route hash, webhook id -> `1|main,dev`
(enabled `1` or `0`, a bar, then the branches or `*`), so that branch and enabled are checked on the (few)
candidates without reading their JSON. `_write` and `_unindex`, which every create, update, enable, disable and
delete goes through, keep the sets and the route hash in step.

`resolve_ids` and `resolve_ids_many` do all of this in one Lua script call, one round trip for any number of
events; the wildcard patterns are matched there by `hooks.matching.TOPIC_MATCH_LUA`. `resolve` adds one MGET
for callers that want the webhooks themselves.

Webhooks stored before route hashes existed have no route: the script then reads the webhook's JSON instead,
which is correct but slower. Run `rebuild_routes(client, settings)` once, after every process that writes
webhooks runs this version (an older writer would update a webhook without its route), to write their routes.
It is idempotent and safe while events flow.
"""

from __future__ import annotations

import contextlib
import socket
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import pydantic
import redis
from redis.commands.core import Script

from config import Settings, get_settings
from hooks.connection import get_redis
from hooks.errors import NotFoundError, ValidationError
from hooks.keys import Keys
from hooks.matching import TOPIC_MATCH_LUA, branch_matches, is_wildcard
from hooks.validation import from_pydantic
from hooks.webhooks import Webhook, parse_stored, utcnow

_IMMUTABLE = {"id", "created_at", "updated_at"}

Query = tuple[str, str, Iterable[str]]
"""What `resolve_ids_many` resolves: (stack, branch, topics), the topics being an event's type and channels."""


def create_webhook(url: str, events: Iterable[str], **fields: Any) -> Webhook:
    """Register a webhook and return it (with its generated id and secret); raises ValidationError."""
    settings = get_settings()
    if "id" in fields or "created_at" in fields:
        raise ValidationError("id: is assigned by the system and cannot be given.")
    webhook = _validate({"url": url, "events": _as_list(events, "events"), **fields})
    check_destination(webhook.url, settings)
    client = get_redis(settings)
    with client.pipeline(transaction=True) as pipe:
        _write(pipe, Keys(settings), webhook, old=None)
        pipe.execute()
    return webhook


def get_webhook(webhook_id: str) -> Webhook:
    """The webhook with this id; raises NotFoundError."""
    raw = get_redis().get(Keys(get_settings()).webhook(_check_id(webhook_id)))
    if raw is None:
        raise NotFoundError(f"webhook {webhook_id} does not exist.")
    return parse_stored(raw)


def list_webhooks(*, stack: str | None = None) -> list[Webhook]:
    """Every webhook (of one stack, if given), oldest first."""
    settings = get_settings()
    client = get_redis(settings)
    keys = Keys(settings)
    ids = [i.decode() for i in client.zrange(keys.webhooks_all, 0, -1)]
    out: list[Webhook] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for raw in client.mget([keys.webhook(i) for i in chunk]):
            if raw is not None:
                wh = parse_stored(raw)
                if stack is None or wh.stack == stack:
                    out.append(wh)
    return out


def update_webhook(webhook_id: str, **changes: Any) -> Webhook:
    """Change some fields of a webhook and return it; raises NotFoundError or ValidationError."""
    settings = get_settings()
    bad = sorted(set(changes) & _IMMUTABLE)
    if bad:
        raise ValidationError(f"{bad[0]}: cannot be changed.")
    if "events" in changes:
        changes["events"] = _as_list(changes["events"], "events")
    client = get_redis(settings)
    keys = Keys(settings)
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(keys.webhook(_check_id(webhook_id)))
                raw = pipe.get(keys.webhook(webhook_id))
                if raw is None:
                    raise NotFoundError(f"webhook {webhook_id} does not exist.")
                old = parse_stored(raw)
                data = {**old.model_dump(), **changes, "updated_at": utcnow()}
                new = _validate(data)
                if new.url != old.url:
                    check_destination(new.url, settings)
                pipe.multi()
                _write(pipe, keys, new, old=old)
                pipe.execute()
                return new
            except redis.WatchError:
                continue


def delete_webhook(webhook_id: str) -> None:
    """Remove a webhook and its index entries; raises NotFoundError."""
    settings = get_settings()
    keys = Keys(settings)
    old = get_webhook(webhook_id)
    with get_redis(settings).pipeline(transaction=True) as pipe:
        _unindex(pipe, keys, old)
        pipe.delete(keys.webhook(old.id), keys.webhook_state(old.id))
        pipe.zrem(keys.webhooks_all, old.id)
        pipe.execute()


def enable_webhook(webhook_id: str) -> Webhook:
    """Enable a webhook, clearing why it was disabled and resetting its breaker; raises NotFoundError."""
    from hooks.breaker import reset

    webhook = update_webhook(webhook_id, enabled=True, disabled_reason=None, disabled_at=None)
    reset(get_redis(), get_settings(), webhook_id)
    return webhook


def disable_webhook(webhook_id: str, reason: str = "disabled by an operator") -> Webhook:
    """Disable a webhook (it receives nothing until enabled); raises NotFoundError."""
    return update_webhook(webhook_id, enabled=False, disabled_reason=reason, disabled_at=utcnow())


def rotate_secret(webhook_id: str, *, grace_s: float = 86400, new_secret: str | None = None) -> Webhook:
    """Give a webhook a new secret; the old one keeps signing too for `grace_s`. Raises NotFoundError/ValidationError."""
    from datetime import timedelta

    from hooks.webhooks import OldSecret, generate_secret

    if not isinstance(grace_s, (int, float)) or not 0 <= grace_s <= 30 * 86400:
        raise ValidationError("grace: must be between 0 seconds and 30 days.")
    current = get_webhook(webhook_id)
    now = utcnow()
    kept = [o for o in current.old_secrets if o.expires_at > now]
    if grace_s > 0:
        kept.append(OldSecret(secret=current.secret, expires_at=now + timedelta(seconds=grace_s)))
    return update_webhook(webhook_id, secret=new_secret or generate_secret(), old_secrets=kept[-5:])


def resolve(stack: str, branch: str, topics: Iterable[str], client: redis.Redis | None = None) -> list[Webhook]:
    """The enabled webhooks of `stack` and `branch` with a pattern matching any topic, each once, in id order.

    Two round trips: `resolve_ids`, then the webhooks' JSON, which has the last word (a webhook deleted, disabled
    or taken off the branch in between is left out).
    """
    settings = get_settings()
    keys = Keys(settings)
    client = client or get_redis(settings)
    ids = resolve_ids(client, settings, stack, branch, topics)
    if not ids:
        return []
    out = []
    for raw in client.mget([keys.webhook(i) for i in ids]):
        if raw is None:
            continue
        wh = parse_stored(raw)
        if wh.enabled and branch_matches(wh.branches, branch):
            out.append(wh)
    return out


def resolve_ids(client: redis.Redis, settings: Settings, stack: str, branch: str, topics: Iterable[str]) -> list[str]:
    """The sorted ids of the enabled webhooks of `stack` and `branch` with a pattern matching any topic; one round trip."""
    return resolve_ids_many(client, settings, [(stack, branch, topics)])[0]


def resolve_ids_many(client: redis.Redis, settings: Settings, queries: Sequence[Query]) -> list[list[str]]:
    """`resolve_ids` of every (stack, branch, topics) query, in order, in one script call (one round trip)."""
    if not queries:
        return []
    keys = Keys(settings)
    args: list[str | int] = [keys.webhook("")]
    for stack, branch, topics in queries:
        listed = list(topics)
        args += [keys.exact(stack, ""), keys.wild_patterns(stack), keys.wild(stack, ""), keys.route(stack), branch]
        args += [len(listed), *listed]
    replies = _resolve_script(client)(args=args)
    return [sorted(ids.decode().split(",")) if ids else [] for ids in replies]


def rebuild_routes(client: redis.Redis, settings: Settings, chunk: int = 500) -> int:
    """Write the route of every stored webhook, for webhooks stored before routes existed; returns how many."""
    keys = Keys(settings)
    ids = [i.decode() for i in client.zrange(keys.webhooks_all, 0, -1)]
    return sum(_rebuild_chunk(client, keys, ids[start : start + chunk]) for start in range(0, len(ids), chunk))


def check_destination(url: str, settings: Settings) -> None:
    """Refuse a URL whose host is, or resolves to, a blocked address; raises ValidationError."""
    from hooks.ssrf import parse_networks, parse_url, resolve_checked

    target = parse_url(url, require_https=settings.require_https)
    # a name that does not resolve yet is accepted: the guard checks it again at every attempt
    with contextlib.suppress(socket.gaierror, UnicodeError):
        resolve_checked(
            target,
            allow_private=settings.allow_private_networks,
            allowed_networks=parse_networks(settings.allowed_networks),
        )


def _validate(data: dict[str, Any]) -> Webhook:
    try:
        return Webhook.model_validate(data)
    except pydantic.ValidationError as exc:
        raise from_pydantic(exc) from None


def _as_list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise ValidationError(f"{field}: expected a list, got {type(value).__name__}.")
    return list(value)


def _check_id(webhook_id: Any) -> str:
    if not isinstance(webhook_id, str) or not webhook_id.startswith("wh_") or len(webhook_id) != 29:
        raise NotFoundError(f"webhook {webhook_id!r} does not exist (ids look like wh_01J...).")
    return webhook_id


def _write(pipe: Any, keys: Keys, webhook: Webhook, old: Webhook | None) -> None:
    """Queue on `pipe` the commands that store `webhook` and index it (replacing `old`'s entries)."""
    if old is not None:
        _unindex(pipe, keys, old)
    pipe.set(keys.webhook(webhook.id), webhook.model_dump_json())
    pipe.zadd(keys.webhooks_all, {webhook.id: webhook.created_at.timestamp() * 1000})
    pipe.hset(keys.route(webhook.stack), webhook.id, _route(webhook))
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.hincrby(keys.wild_patterns(webhook.stack), pattern, 1)
            pipe.sadd(keys.wild(webhook.stack, pattern), webhook.id)
        else:
            pipe.sadd(keys.exact(webhook.stack, pattern), webhook.id)


def _unindex(pipe: Any, keys: Keys, webhook: Webhook) -> None:
    """Queue on `pipe` the commands that remove `webhook` from every index (its JSON stays)."""
    pipe.hdel(keys.route(webhook.stack), webhook.id)
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.srem(keys.wild(webhook.stack, pattern), webhook.id)
            pipe.hincrby(keys.wild_patterns(webhook.stack), pattern, -1)
        else:
            pipe.srem(keys.exact(webhook.stack, pattern), webhook.id)
    # a wildcard pattern no webhook of the stack uses any more stops being matched against every event
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.eval(_PRUNE_LUA, 1, keys.wild_patterns(webhook.stack), pattern)


_PRUNE_LUA = (
    "if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end"
)


def _route(webhook: Webhook) -> str:
    """A webhook's field in its stack's route hash: `1|main,dev`, enabled (1 or 0) then its branches (or `*`)."""
    return f"{int(webhook.enabled)}|{','.join(webhook.branches)}"


def _rebuild_chunk(client: redis.Redis, keys: Keys, ids: list[str]) -> int:
    """Write the routes of `ids` from their JSON, reading again if one changes meanwhile; returns how many exist."""
    names = [keys.webhook(i) for i in ids]
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(*names)
                stored = [parse_stored(raw) for raw in pipe.mget(names) if raw is not None]
                pipe.multi()
                for wh in stored:
                    pipe.hset(keys.route(wh.stack), wh.id, _route(wh))
                pipe.execute()
                return len(stored)
            except redis.WatchError:
                continue


def _resolve_script(client: redis.Redis) -> Script:
    """The resolve script registered with `client`, once per client (registering hashes its source)."""
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_RESOLVE_LUA)
    return script


_scripts: weakref.WeakKeyDictionary[redis.Redis, Script] = weakref.WeakKeyDictionary()

# Lua functions that resolve one event inside Redis; the script that includes them must first set the local
# `webhook_prefix` (the webhook JSON key prefix). `candidates(exact_prefix, wild_hash, wild_prefix, topics)` gives
# the ids whose patterns match a topic; `keep_routed(route_hash, ids, branch)` keeps the enabled ones of the branch.
# The drains' take script fans events out with them (hooks/drain.py).
RESOLVE_FUNCTIONS_LUA = (
    TOPIC_MATCH_LUA
    + """
local CHUNK = 1000  -- keys or ids per command: unpack() takes at most a few thousand values
local segments, matched = {}, {}  -- memos for the whole call: stacks share patterns, events share topics

local function split_once(s)
  local segs = segments[s]
  if not segs then
    segs = split_topic(s)
    segments[s] = segs
  end
  return segs
end

local function matches(pattern, topic)
  local by_topic = matched[pattern]
  if not by_topic then
    by_topic = {}
    matched[pattern] = by_topic
  end
  local hit = by_topic[topic]
  if hit == nil then
    hit = topic_matches(split_once(pattern), split_once(topic))
    by_topic[topic] = hit
  end
  return hit
end

local function union(keys)
  if #keys <= CHUNK then return redis.call('SUNION', unpack(keys)) end
  local seen, ids = {}, {}
  for i = 1, #keys, CHUNK do
    for _, id in ipairs(redis.call('SUNION', unpack(keys, i, math.min(i + CHUNK - 1, #keys)))) do
      if not seen[id] then
        seen[id] = true
        ids[#ids + 1] = id
      end
    end
  end
  return ids
end

local function candidates(exact_prefix, wild_hash, wild_prefix, topics)
  if #topics == 0 then return {} end
  local keys = {}
  for i, topic in ipairs(topics) do keys[i] = exact_prefix .. topic end
  for _, pattern in ipairs(redis.call('HKEYS', wild_hash)) do
    for _, topic in ipairs(topics) do
      if matches(pattern, topic) then
        keys[#keys + 1] = wild_prefix .. pattern
        break
      end
    end
  end
  return union(keys)
end

-- the route of a webhook stored before route hashes existed, from its JSON; nil when it no longer exists
local function stored_route(id)
  local raw = redis.call('GET', webhook_prefix .. id)
  if not raw then return nil end
  local wh = cjson.decode(raw)
  return (wh.enabled and '1|' or '0|') .. table.concat(wh.branches, ',')
end

local function routed(route, branch)
  if string.sub(route, 1, 2) ~= '1|' then return false end
  for name in string.gmatch(string.sub(route, 3), '[^,]+') do
    if name == '*' or name == branch then return true end
  end
  return false
end

local function keep_routed(route_hash, ids, branch)
  local out, verdicts = {}, {}  -- verdicts: route -> routed(route, branch); a stack has few distinct routes
  for first = 1, #ids, CHUNK do
    local last = math.min(first + CHUNK - 1, #ids)
    local routes = redis.call('HMGET', route_hash, unpack(ids, first, last))
    for k = first, last do
      local id = ids[k]
      local route = routes[k - first + 1] or stored_route(id)
      if route then
        local ok = verdicts[route]
        if ok == nil then
          ok = routed(route, branch)
          verdicts[route] = ok
        end
        if ok then out[#out + 1] = id end
      end
    end
  end
  return out
end
"""
)

# ARGV: the webhook key prefix, then per query: the exact-set key prefix, the wildcard hash, the wildcard-set key
# prefix, the route hash, the branch, the number of topics and the topics. Returns per query its ids joined by
# commas (ids have none): one bulk string parses much faster in redis-py than a list of them.
_RESOLVE_LUA = (
    "local webhook_prefix = ARGV[1]\n"
    + RESOLVE_FUNCTIONS_LUA
    + """
local results, i = {}, 2
while i <= #ARGV do
  local n, topics = tonumber(ARGV[i + 5]), {}
  for k = 1, n do topics[k] = ARGV[i + 5 + k] end
  local ids = keep_routed(ARGV[i + 3], candidates(ARGV[i], ARGV[i + 1], ARGV[i + 2], topics), ARGV[i + 4])
  results[#results + 1] = table.concat(ids, ',')
  i = i + 6 + n
end
return results
"""
)
