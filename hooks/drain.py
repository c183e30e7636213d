"""Drains: the worker tasks that fan events out and send deliveries, a batch at a time, fairly and safely.

A Celery task per delivery costs about a millisecond of CPU before it does anything, and each of its steps is
a Redis round trip; that, not Redis or the endpoint, is what limits a hand-rolled webhook task. A drain is one
Celery task that keeps taking work until there is none (then it lingers briefly and ends) or its time slice is
over (then it hands over to a fresh task at the back of the queue):

- `take` (one Lua call) first fans out waiting events inside Redis (resolve, create deliveries), then gives it up
  to `HOOKS_DRAIN_BATCH` deliveries of ONE webhook, the one whose turn it is (webhooks with ready work are served
  round-robin), with the webhook, the delivery records and the bodies: no second round trip to load them.
- Each webhook has at most `HOOKS_MAX_IN_FLIGHT_PER_WEBHOOK` drains sending to it at once (lanes, leases in
  `{p}:inflight:{id}`); a webhook gets one lane until it has answered with a success (slow start) and again
  while it is failing, and an open breaker parks its deliveries (no attempt spent, no worker held). So a dead
  endpoint, new or old, holds one worker thread. A webhook at its cap leaves the turns (`{p}:capped`) until a
  lane is released or runs out, so takes and wake-ups are never spent on it.
- The batch is POSTed in order over the thread's kept-alive connection. Its records (attempt log, new state,
  retry or dead-letter entry, lease and lane released) are written by the drain's next take script, so a
  drain makes one Redis call per batch. The first failure ends the batch (the rest go back to the front of the
  webhook's list) and is fed to the breaker before that next take.
- Taken deliveries are leased (`{p}:leased`): if a worker dies, the scheduler puts expired leases back
  (`recover`), so every delivery is attempted at least once more. Nothing lives only in a worker; an event's
  fan-out happens inside one script call, so it is never half done.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

from config import Settings
from hooks import breaker
from hooks.attempt import Attempt, Record, after_dead, attempt, finish_without_attempt, record
from hooks.breaker import CLOSE_FN_LUA
from hooks.connection import run_script
from hooks.deliveries import Delivery, parse_delivery
from hooks.fanout import CREATE_FN_LUA
from hooks.ids import split_delivery_id
from hooks.keys import Keys
from hooks.kick import kick_args, with_kick
from hooks.registry import RESOLVE_FUNCTIONS_LUA
from hooks.webhooks import Webhook, parse_stored

log = logging.getLogger(__name__)

FANOUT_BUDGET = 1000  # deliveries one take call may create (a bigger fan-out goes on over several calls)
_WAKE_POLL_S = 0.25  # an idle drain re-checks at least this often, even without a wake-up call

# ARGV (after the kick prelude's five): token, lease s, lane cap, batch, fan-out budget, retention s, mode
# ('take', 'exit' = take or end if there is nothing, 'end' = hand over), then the previous batch: its webhook id
# ('' for none), whether its last attempt succeeded ('1'/'0'), its records (a count, then each record as
# attempt.Record.args gives it) and the ids it gives back (a count, then the ids). The previous batch is settled
# first (records written, leases and lane released, ids given back to the front of the webhook's list); then
# waiting events are fanned out (resolved and created inside Redis); then one webhook's batch is taken with all
# it needs to send it. Returns {'deliver', webhook id, failures, webhook JSON, ids, delivery hashes, bodies}
# | {'fanned'} | {'idle'} | {'ended'}.
_TAKE_LUA = with_kick(
    """
local token, lease, cap = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local batch, budget, ttl, mode = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11], ARGV[12]
local READY, FANOUT = P .. ':ready', P .. ':fanout'
local webhook_prefix = P .. ':wh:'
"""
    + RESOLVE_FUNCTIONS_LUA
    + CREATE_FN_LUA
    + CLOSE_FN_LUA
    + """
local function lease_all(key, ids)
  local args = {}
  for _, id in ipairs(ids) do args[#args + 1] = NOW + lease; args[#args + 1] = id end
  redis.call('ZADD', key, unpack(args))
end
local function park(wh, list)
  local ids = redis.call('LRANGE', list, 0, -1)
  local args = {}
  for i, id in ipairs(ids) do
    args[#args + 1] = NOW + i * 0.000001
    args[#args + 1] = id
    if redis.call('EXISTS', P .. ':dl:' .. id) == 1 then
      redis.call('HSET', P .. ':dl:' .. id, 'next_attempt_at', '', 'reason', 'breaker_open')
    end
    if #args >= 1000 then redis.call('ZADD', P .. ':wh:waiting:' .. wh, unpack(args)); args = {} end
  end
  if #args > 0 then redis.call('ZADD', P .. ':wh:waiting:' .. wh, unpack(args)) end
  redis.call('DEL', list)
  redis.call('ZREM', READY, wh)
end
local function fan_out()
  local spent = 0
  while spent < budget do
    local ev = redis.call('LPOP', FANOUT)
    if not ev then break end
    local meta = redis.call('HMGET', P .. ':ev:' .. ev, 'type', 'stack', 'branch', 'channels')
    if meta[1] and meta[2] and meta[3] then
      local topics = {meta[1]}
      for c in string.gmatch(meta[4] or '', '[^,]+') do topics[#topics + 1] = c end
      local sp = P .. ':wh:stack:' .. meta[2]
      local whs = keep_routed(sp .. ':route', candidates(sp .. ':exact:', sp .. ':wild', sp .. ':wild:', topics), meta[3])
      local created, complete = create_deliveries(ev, whs, budget - spent, ttl)
      spent = spent + created + 1
      if not complete then redis.call('LPUSH', FANOUT, ev); break end
    else
      redis.log(redis.LOG_WARNING, 'hooks: event ' .. ev .. ' is not stored (expired?); nothing to fan out')
    end
  end
  if spent > 0 and redis.call('LLEN', FANOUT) > 0 then kick() end
  return spent
end
-- READY's scores are turns, not times: a webhook served goes behind every other (ties would sort by id)
local function to_back(wh)
  local last = redis.call('ZRANGE', READY, -1, -1, 'WITHSCORES')
  local score = NOW
  if #last > 0 and tonumber(last[2]) >= score then score = tonumber(last[2]) + 0.000001 end
  redis.call('ZADD', READY, score, wh)
end
local function take(wh)
  local list, state = P .. ':ready:' .. wh, P .. ':wh:state:' .. wh
  local st = redis.call('HMGET', state, 'open_until', 'probe_until', 'failures', 'proven')
  local open_until, probe_until, failures = tonumber(st[1] or '0'), tonumber(st[2] or '0'), tonumber(st[3] or '0')
  local n = batch
  if open_until > 0 then
    if NOW < open_until or probe_until > NOW then park(wh, list); return nil end
    n = 1  -- the cool-down is over: this one is the probe
  end
  local lanes = P .. ':inflight:' .. wh
  redis.call('ZREMRANGEBYSCORE', lanes, '-inf', NOW)
  local limit = cap
  -- slow start: one lane until the endpoint has answered with a success (and again while it fails), so a new
  -- dead endpoint holds one worker, not ten, for its first deadline
  if failures > 0 or not st[4] then limit = 1 end
  if not st[4] then n = 1 end  -- and a batch of one: its first answer opens the other lanes
  if redis.call('ZCARD', lanes) >= limit then  -- at its cap: out of the turns until a lane is released
    redis.call('ZREM', READY, wh)
    redis.call('ZADD', CAPPED, redis.call('ZRANGE', lanes, 0, 0, 'WITHSCORES')[2], wh)
    return nil
  end
  local ids = redis.call('LPOP', list, n)
  if not ids then redis.call('ZREM', READY, wh); return nil end
  if open_until > 0 then redis.call('HSET', state, 'probe_until', NOW + lease) end
  redis.call('ZADD', lanes, NOW + lease, token)
  redis.call('EXPIRE', lanes, math.ceil(lease) + 1)
  lease_all(P .. ':leased', ids)
  local left = redis.call('LLEN', list)
  local others = redis.call('ZCARD', READY) - 1  -- webhooks with work besides this one
  if left == 0 then redis.call('ZREM', READY, wh) else to_back(wh) end
  -- another drain for this webhook only when a whole batch is left (fewer are this drain's next batch: a take
  -- per delivery would cost more CPU than the wait saves), and one for the other webhooks
  if (left >= batch and redis.call('ZCARD', lanes) < limit) or others > 0 then kick() end
  local hashes, bodies = {}, {}
  for i, id in ipairs(ids) do
    hashes[i] = redis.call('HGETALL', P .. ':dl:' .. id)
    bodies[i] = redis.call('HMGET', P .. ':ev:evt_' .. string.match(id, '^msg_([^_]+)_'), 'body', 'concise_body')
  end
  return {'deliver', wh, tostring(failures), redis.call('GET', webhook_prefix .. wh), ids, hashes, bodies}
end

local function settle()
  local previous, i = ARGV[13], 16
  for _ = 1, tonumber(ARGV[15]) do
    local id, entry, due, dead, nf = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
    local key = P .. ':dl:' .. id
    if entry ~= '' then
      redis.call('RPUSH', key .. ':attempts', entry)
      redis.call('EXPIRE', key .. ':attempts', ttl)
    end
    if nf > 0 then
      redis.call('HSET', key, unpack(ARGV, i + 5, i + 4 + 2 * nf))
      redis.call('EXPIRE', key, ttl)
    end
    if due ~= '' then redis.call('ZADD', P .. ':retry', due, id) end
    if dead == '1' then redis.call('ZADD', P .. ':dlq', NOW, id) end
    redis.call('ZREM', P .. ':leased', id)
    i = i + 5 + 2 * nf
  end
  if previous == '' then return end
  redis.call('ZREM', P .. ':inflight:' .. previous, token)
  uncap(previous)  -- the lane is free: the webhook takes turns again
  local back = tonumber(ARGV[i])
  if back > 0 then
    for k = i + back, i + 1, -1 do redis.call('LPUSH', P .. ':ready:' .. previous, ARGV[k]) end
    redis.call('ZREM', P .. ':leased', unpack(ARGV, i + 1, i + back))
    ready(previous)
  end
  -- its last attempt succeeded: a success ends a run of failures (and closes an open breaker: the probe)
  if ARGV[14] == '1' then
    local state = P .. ':wh:state:' .. previous
    if tonumber(redis.call('HGET', state, 'failures') or '0') > 0 then close_breaker(previous) end
    redis.call('HSETNX', state, 'proven', 1)
  end
end

settle()
if mode == 'end' then  -- the slice is over: a fresh task takes over if work is left
  redis.call('ZREM', DRAINS, token)
  redis.call('ZREM', IDLE, token)
  if redis.call('LLEN', FANOUT) > 0 or redis.call('ZCARD', READY) > 0 then kick() end
  return {'ended'}
end
redis.call('ZADD', DRAINS, NOW + lease, token)
redis.call('ZREM', IDLE, token)
local fanned = fan_out()
for _, wh in ipairs(redis.call('ZRANGE', READY, 0, 15)) do
  local reply = take(wh)
  if reply then return reply end
end
if fanned > 0 then return {'fanned'} end
if mode == 'exit' then
  redis.call('ZREM', DRAINS, token)
  return {'ended'}
end
redis.call('ZADD', IDLE, NOW + lease, token)
return {'idle'}
"""
)

# ARGV (after the prelude): limit. Deliveries whose lease expired go back to the front of their webhook's list;
# then, if work is waiting, a drain is kicked: the safety net for lost drains.
_RECOVER_LUA = with_kick("""
local limit = tonumber(ARGV[6])
for _, wh in ipairs(redis.call('ZRANGEBYSCORE', CAPPED, '-inf', NOW, 'LIMIT', 0, limit)) do
  uncap(wh)  -- a lane ran out
end
local leased = redis.call('ZRANGEBYSCORE', P .. ':leased', '-inf', NOW, 'LIMIT', 0, limit)
for k = #leased, 1, -1 do  -- backwards: each goes to the front, so the oldest ends up first
  local id = leased[k]
  local wh = 'wh_' .. string.match(id, '^msg_[^_]+_(.+)$')
  redis.call('LPUSH', P .. ':ready:' .. wh, id)
  ready(wh)
end
if #leased > 0 then redis.call('ZREM', P .. ':leased', unpack(leased)) end
if redis.call('LLEN', P .. ':fanout') > 0 or redis.call('ZCARD', P .. ':ready') > 0 then kick() end
return #leased
""")


def drain(token: str, settings: Settings, client: redis.Redis) -> str:
    """Take and do work until none is left or the time slice is over; returns a summary (Flower shows it)."""
    keys = Keys(settings)
    take = client.register_script(_TAKE_LUA)
    slice_end = time.monotonic() + settings.drain_slice_s
    idle_since: float | None = None
    done: Counter[str] = Counter()
    settled = Settled()
    while True:
        now = time.monotonic()
        mode = "end" if now >= slice_end else "take"
        if mode == "take" and idle_since is not None and now - idle_since >= settings.drain_linger_s:
            mode = "exit"
        reply = run_script(client, take, [*kick_args(settings, time.time()), token, settings.lease_s,
                                          settings.max_in_flight_per_webhook, settings.drain_batch, FANOUT_BUDGET,
                                          int(settings.retention_days * 86400), mode, *settled.args()])  # fmt: skip
        settled.after_written(client, settings)
        settled = Settled()
        kind = reply[0]
        if kind == b"deliver":
            settled = send_batch(Batch.from_reply(reply), slice_end, settings, client)
            done.update(settled.outcomes)
            idle_since = None
        elif kind == b"fanned":
            idle_since = None
        elif kind == b"ended":
            break
        else:
            idle_since = now if idle_since is None else idle_since
            client.blpop([keys.drains_wake], timeout=_WAKE_POLL_S)
    return ", ".join(f"{n} {what}" for what, n in sorted(done.items())) or "nothing to do"


@dataclass(frozen=True)
class Batch:
    """Deliveries of one webhook taken by a drain, with everything needed to send them (from the take script)."""

    webhook_id: str
    failures: int  # the breaker's consecutive failures when taken
    webhook: Webhook | None
    ids: list[str]
    hashes: list[dict[bytes, bytes]]
    bodies: list[list[bytes | None]]

    @classmethod
    def from_reply(cls, reply: list[Any]) -> Batch:
        """Parse the take script's `deliver` reply."""
        return cls(
            webhook_id=reply[1].decode(),
            failures=int(reply[2]),
            webhook=parse_stored(reply[3]) if reply[3] is not None else None,
            ids=[d.decode() for d in reply[4]],
            hashes=[dict(zip(f[::2], f[1::2], strict=True)) for f in reply[5]],
            bodies=reply[6],
        )


@dataclass
class Settled:
    """A sent batch as the next take script settles it, and what to do once that is written."""

    webhook_id: str = ""
    records: list[Record] = field(default_factory=list)
    give_back: list[str] = field(default_factory=list)
    dead: list[tuple[Delivery, Webhook, str]] = field(default_factory=list)
    ended_ok: bool = False  # the last attempt succeeded: the take script resets the breaker's failure count
    outcomes: Counter[str] = field(default_factory=Counter)

    def args(self) -> list[Any]:
        """The take script's arguments from the 13th on."""
        return [self.webhook_id, int(self.ended_ok), len(self.records), *(a for r in self.records for a in r.args()),
                len(self.give_back), *self.give_back]  # fmt: skip

    def after_written(self, client: redis.Redis, settings: Settings) -> None:
        """Once the records are in Redis: announce dead-lettered deliveries."""
        for delivery, webhook, reason in self.dead:
            after_dead(client, settings, delivery, webhook, reason)


def send_batch(batch: Batch, slice_end: float, settings: Settings, client: redis.Redis) -> Settled:
    """Attempt a batch of one webhook's deliveries in order; the first failure or the end of the slice stops it.

    A failure is fed to the breaker at once (before the next take, so the take sees it); the records, the
    deliveries not attempted and whether the batch ended in success go to the next take script.
    """
    out = Settled(batch.webhook_id)
    attempted: list[bool] = []
    for i, d in enumerate(batch.ids):
        if (attempted and not attempted[-1]) or (i and time.monotonic() >= slice_end):
            out.give_back = batch.ids[i:]
            break
        outcome, rec, sent = _one(settings, d, batch.hashes[i], batch.bodies[i], batch.webhook)
        out.outcomes[outcome] += 1
        out.records.append(rec)
        if sent is not None:
            attempted.append(sent.result.ok)
            if sent.decision.outcome == "dead" and batch.webhook is not None:
                out.dead.append((parse_delivery(d, batch.hashes[i]), batch.webhook, sent.decision.reason or ""))
    if batch.webhook is not None and attempted:
        if attempted[-1]:
            out.ended_ok = True
        else:  # the breaker sees it now, before the next take: successes first (they end a run), then the failure
            if len(attempted) > 1:
                breaker.observe(client, settings, batch.webhook, True)
            breaker.observe(client, settings, batch.webhook, False)
    return out


def _one(settings: Settings, delivery_id: str, raw: dict[bytes, bytes], bodies: list[bytes | None],
         webhook: Webhook | None) -> tuple[str, Record, Attempt | None]:  # fmt: skip
    """Attempt one delivery if it still needs one. Returns (outcome, what to write, the attempt made)."""
    if not raw:
        log.warning("deliver: delivery %s is not stored (expired?); nothing to do", delivery_id)
        return "missing", Record(delivery_id), None
    delivery = parse_delivery(delivery_id, raw)
    if delivery.status != "pending":
        return "skipped", Record(delivery_id), None  # already finished: a lease that ran out while it was sent
    if webhook is None:
        return "failed", finish_without_attempt(delivery_id, "failed", "webhook_deleted"), None
    if not webhook.enabled:
        return "dead", finish_without_attempt(delivery_id, "dead", "webhook_disabled"), None
    body = bodies[1] if webhook.concise else bodies[0]
    if body is None:
        return "failed", finish_without_attempt(delivery_id, "failed", "event_expired"), None
    sent = attempt(delivery, webhook, body, settings)
    return sent.decision.outcome, record(settings, delivery, webhook, sent), sent


def recover(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> int:
    """Put back deliveries whose lease ran out (their drain died) and kick a drain if work waits; returns how many."""
    script = client.register_script(_RECOVER_LUA)
    now = time.time() if now_s is None else now_s
    return int(script(keys=[], args=[*kick_args(settings, now), settings.scheduler_batch]))


# ARGV (after the prelude): delivery ids to append to their webhooks' ready lists.
_MAKE_READY_LUA = with_kick("""
for i = 6, #ARGV do
  local wh = 'wh_' .. string.match(ARGV[i], '^msg_[^_]+_(.+)$')
  redis.call('RPUSH', P .. ':ready:' .. wh, ARGV[i])
  ready(wh)
end
if #ARGV >= 6 then kick() end
return #ARGV - 5
""")


def make_ready(delivery_ids: list[str], settings: Settings, client: redis.Redis) -> int:
    """Append deliveries to their webhooks' ready lists and kick a drain; returns how many."""
    for d in delivery_ids:
        split_delivery_id(d)  # raises ValueError for anything that is not a delivery id
    script = client.register_script(_MAKE_READY_LUA)
    return int(script(keys=[], args=[*kick_args(settings, time.time()), *delivery_ids]))
