"""Lua scripts: one `.lua` file per script, beside the Python that runs it; shared pieces in `includes/`.

A script pulls in a shared piece with a line of its own, `--- @include "name"`, which this loader replaces by
`hooks/store/includes/name.lua` (each piece at most once per script, pieces may include others). `@@NAME@@`
placeholders are filled from `CONSTANTS` (the kick prelude's drain message). Each script is read, expanded and
hashed once per process (`lua_script`), and run with EVALSHA; after a NOSCRIPT (Redis restarted, or its
scripts flushed) it is loaded and run again.

Named options: a line `--- @options name ...` (in a script or an include) names the script's leading ARGV. The
loader gathers every such line of the expanded script, in order, into one Lua table made where the first line
was, `local O = {name = ARGV[1], ...}`, and `ARGS_TAIL`, the index of the first ARGV after them; Python passes a
dict (`LuaScript.run_named`), put in that order here, so no caller mirrors a position. (A table decoded from
cjson or cmsgpack would name them as well, at the cost of a decode in every call; the take script runs once per
drain turn.)

Scripts take no KEYS: every key is built inside from the prefix in the `prefix` option (see each file's header),
so one script serves any deployment prefix. That ties a script to one Redis server (no Redis Cluster slots).
"""

from __future__ import annotations

import functools
import re
import threading
import weakref
from pathlib import Path
from typing import Any

import redis
from hiredis import pack_command
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from hooks.store.drain_message import DRAIN_TASK, message_template
from hooks.store.keys import DELIVERIES_QUEUE

INCLUDES = Path(__file__).with_name("includes")
_INCLUDE_RE = re.compile(r'^--- @include "([a-z_]+)"$', re.MULTILINE)
_OPTIONS_RE = re.compile(r"^--- @options ([a-z_]+(?: [a-z_]+)*)$", re.MULTILINE)
_PLACEHOLDER_RE = re.compile(r"@@([A-Z_]+)@@")

# Filled into every script; TASK_ID and ARG stay placeholders for the kick prelude to fill at run time.
CONSTANTS = {"DRAIN_MESSAGE": message_template(DRAIN_TASK, DELIVERIES_QUEUE), "TASK_ID": "@@TASK_ID@@",
             "ARG": "@@ARG@@"}  # fmt: skip


class LuaScript:
    """One script, expanded and hashed once; `run` calls it on the calling thread's own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.stem
        self.options, self.source = named_options(expand(path.read_text()), path.name)
        self._script = Script(None, self.source.encode())  # type: ignore[arg-type]  # bytes: no client needed
        self.sha = self._script.sha

    def run(self, client: redis.Redis, *args: Any) -> Any:
        """EVALSHA with no keys on this thread's own connection; reconnects and reloads the script as needed.

        The hot paths (a publish, a drain's turn) are one script call each. Through `Redis.evalsha` a call costs
        about 60 us more on two cores (pool checkout and release, retry and metrics wrappers) than on a
        connection the thread keeps: 7,000 against 11,500 calls/s from one thread. Errors are redis-py's own.
        """
        conn = _thread_connection(client)
        try:
            try:
                _send(conn, ("EVALSHA", self.sha, 0, *args))
                return conn.read_response()
            except NoScriptError:  # loaded on this very connection: after a failover the pool's may be elsewhere
                conn.send_command("SCRIPT", "LOAD", self.source)
                conn.read_response()
                _send(conn, ("EVALSHA", self.sha, 0, *args))
                return conn.read_response()
        except redis.ResponseError as exc:
            if not _on_a_former_primary(exc):
                raise  # the connection is fine; the script refused
            _drop(client, conn)
            raise redis.ConnectionError(f"Redis is no longer the primary here ({str(exc)[:60]})") from None
        except BaseException:
            _drop(client, conn)
            raise

    def run_named(self, client: redis.Redis, options: dict[str, Any], *tail: Any) -> Any:
        """`run` with the script's named options (its `--- @options` lines) from a dict, then positional `tail`."""
        return self.run(client, *self.ordered(options), *tail)

    def ordered(self, options: dict[str, Any]) -> list[Any]:
        """The options' values in the script's order; TypeError naming the missing or unknown ones."""
        if len(options) == len(self.options):
            try:
                return [options[name] for name in self.options]
            except KeyError:
                pass
        missing, unknown = sorted(set(self.options) - set(options)), sorted(set(options) - set(self.options))
        raise TypeError(f"{self.name}.lua: missing options {missing}, unknown options {unknown}")

    def wait_for_replicas(self, client: redis.Redis, replicas: int, timeout_ms: int) -> int:
        """After `run` on this thread: how many replicas have its writes, waiting up to `timeout_ms` (WAIT)."""
        conn = _thread_connection(client)  # WAIT counts this connection's own writes: the same one as `run`'s
        try:
            conn.send_command("WAIT", replicas, timeout_ms)
            return int(conn.read_response())
        except BaseException:
            _drop(client, conn)
            raise

    def queue(self, pipe: Any, *args: Any) -> None:
        """Add a call to a pipeline (which loads the script first if Redis does not know it)."""
        self._script(args=args, client=pipe)


def call_own(client: redis.Redis, *command: Any) -> Any:
    """One plain command on this thread's own connection (the one `LuaScript.run` uses), its raw reply.

    For the commands of a hot loop beside the scripts: an idle drain's BLPOP went through the pool, about 60 us
    more worker CPU per call than here (see `LuaScript.run`). Errors are redis-py's own; the connection is
    dropped after any (the next call makes a new one).
    """
    conn = _thread_connection(client)
    try:
        _send(conn, command)
        return conn.read_response()
    except BaseException:
        _drop(client, conn)
        raise


@functools.cache
def lua_script(path: Path) -> LuaScript:
    """The script in `path`, read and hashed once per process."""
    return LuaScript(path)


def beside(module_file: str, name: str) -> LuaScript:
    """The script `name`.lua in the folder of `module_file` (pass `__file__`)."""
    return lua_script(Path(module_file).with_name(f"{name}.lua"))


def expand(source: str, seen: set[str] | None = None) -> str:
    """`source` with its includes inlined (each once) and its placeholders filled; raises KeyError for unknown ones."""
    seen = set() if seen is None else seen

    def include(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in seen:
            return f"-- ({name} included above)"
        seen.add(name)
        return expand((INCLUDES / f"{name}.lua").read_text(), seen).rstrip("\n")

    return _PLACEHOLDER_RE.sub(lambda m: CONSTANTS[m.group(1)], _INCLUDE_RE.sub(include, source))


def named_options(source: str, name: str = "script") -> tuple[tuple[str, ...], str]:
    """The option names of an expanded script, in order, and its source with its `--- @options` lines made into
    one table `O` (where the first was) and `ARGS_TAIL`; ValueError for a name given twice."""
    names = [n for line in _OPTIONS_RE.findall(source) for n in line.split()]
    if not names:
        return (), source
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: an option is named twice in its @options lines: {names}")
    table = ", ".join(f"{n} = ARGV[{i}]" for i, n in enumerate(names, 1))
    made = f"local O, ARGS_TAIL = {{{table}}}, {len(names) + 1}  -- the named options (hooks/store/scripts.py)"
    first = True

    def replace(match: re.Match[str]) -> str:
        nonlocal first
        line, first = (made if first else f"-- (options {match.group(1)}: in O above)"), False
        return line

    return tuple(names), _OPTIONS_RE.sub(replace, source)


def all_scripts() -> list[Path]:
    """Every script of the project (not the includes): the `.lua` files under hooks/ and workers/."""
    root = Path(__file__).resolve().parents[2]
    return sorted(p for d in ("hooks", "workers") for p in (root / d).rglob("*.lua") if p.parent != INCLUDES)


_local = threading.local()


def _thread_connection(client: redis.Redis) -> Any:
    conns = _connections()
    pool = client.connection_pool
    conn = conns.get(pool)
    if conn is None:
        # Not pool.make_connection(): that counts against the pool's max_connections (redis-py 8 caps it at 100 by
        # default) and the count never comes back when `run` drops a dead connection, so after 100 reconnects
        # (each Redis restart costs one per thread; a producer retrying through an outage, one per try) every call
        # of the process failed with MaxConnectionsError ("Too many connections"), even with Redis back.
        conn = pool.connection_class(**pool.connection_kwargs)
        # connected now, not lazily by send_command: a Sentinel-managed connection asks the sentinels for the
        # primary in connect() only; redis-py 8's lazy path connects to its default address (localhost:6379)
        conn.connect()
        conns[pool] = conn
    return conn


def _send(conn: Any, command: tuple[Any, ...]) -> None:
    """Send one command, packed by hiredis in one C call: redis-py's packer encodes each argument in Python first,
    which was 44% of the relay's CPU with a batch's 4,500 arguments (the bytes on the wire are the same)."""
    try:
        packed = pack_command(command)
    except TypeError:  # None, a bool...: redis-py refuses those in its own words (DataError)
        conn.send_command(*command)
        return
    conn.send_packed_command([packed])


def _drop(client: redis.Redis, conn: Any) -> None:
    """Forget and close this thread's connection: the next call makes a new one (and asks Sentinel anew)."""
    _connections().pop(client.connection_pool, None)
    conn.disconnect()


def _on_a_former_primary(exc: redis.ResponseError) -> bool:
    """READONLY (a primary demoted to replica) or NOREPLICAS (a primary cut off from its replicas, with
    min-replicas-to-write): the connection points where writes no longer belong; a new one finds the primary."""
    text = str(exc)
    return isinstance(exc, redis.exceptions.ReadOnlyError) or any(
        mark in text for mark in ("READONLY", "NOREPLICAS", "read only replica")
    )


def _connections() -> weakref.WeakKeyDictionary[Any, Any]:
    """This thread's own connections, one per pool (a dropped pool takes its connection with it)."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = weakref.WeakKeyDictionary()
    return conns
