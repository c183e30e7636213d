"""The `hooks` command: manage webhooks, inspect deliveries and their attempts, work the dead-letter queue.

    hooks webhook add|list|show|update|rotate-secret|remove|enable|disable ...   (webhooks.py)
    hooks deliveries [--webhook ID] [--event ID] [--status S] [--limit N] [--json] (deliveries.py)
    hooks delivery show|retry ID                                                 (deliveries.py)
    hooks dlq list|show|replay|purge ...                                         (dlq.py)
    hooks events | event show|purge ID | erase --stack S [--before T]            (events.py)
    hooks status | doctor | db upgrade|current                                   (system.py)
    hooks api-key create --name N [--read-only] | list | revoke ID               (apikeys.py)
    hooks event-type add NAME [--schema F] [--example F] [--strict] | list | show | remove  (event_types.py)
    hooks outbox migrate|status|failed|retry ...                                 (outbox.py)
    hooks portal-link --stack S [--ttl-s N] [--user U] [--json]                  (portal.py)
    hooks worker|scheduler|archiver|relay|api|flower                            (processes.py)

Output is for people by default; with --json it is exactly one JSON document, for scripts. Times are printed
in UTC ISO 8601. Signing secrets, passwords, tokens, custom header values and URL query values are masked everywhere
(`…` + the last 4 characters of one of 20 or more, hooks.models.webhook.mask), except
by `webhook add` (the signing secret is shown once, at creation) and by `webhook show --show-secret`.

Exit status:
    0  success
    1  the webhook or delivery named does not exist (NotFoundError)
    2  any other failure: a usage error or invalid input (nothing is stored then), a bad setting, Redis
       unreachable. Errors are one line on stderr, `hooks: error: <message>`, never a traceback.
    3  something to look at, and the output says what: `hooks doctor` found a check that warns or fails (a
       Redis without a replica is a warning), `hooks db current` found the schema is not this version's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hooks.cli import processes
from hooks.cli.output import EXIT_OK
from hooks.errors import HooksError, NotFoundError

EXIT_NOT_FOUND = 1
EXIT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `hooks` command and return its exit status (see the module docstring); never raises."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in processes.PROCESSES:  # a process: its options are Celery's or Flower's, not ours
        try:
            return processes.run(argv[0], argv[1:])
        except HooksError as exc:
            return _fail(str(exc), EXIT_ERROR)
    return _command(argv)


def _command(argv: list[str]) -> int:
    """Run a command of the operator's (not a process, which loads only what it needs); never raises."""
    import redis

    from hooks.history.connection import UNREACHABLE, unavailable
    from hooks.store.connection import is_out_of_memory

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (2) or the help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return int(args.handler(args) or EXIT_OK)
    except NotFoundError as exc:
        return _fail(str(exc), EXIT_NOT_FOUND)
    except HooksError as exc:
        return _fail(str(exc), EXIT_ERROR)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        return _fail(f"cannot reach Redis at {_redis_url()} ({type(exc).__name__}: {exc}); is it running?", EXIT_ERROR)
    except redis.RedisError as exc:
        if is_out_of_memory(exc):
            return _fail("Redis is out of memory (maxmemory reached, and its policy evicts nothing): nothing was "
                         "changed; the workers free memory as they deliver, or raise maxmemory.", EXIT_ERROR)  # fmt: skip
        return _fail(f"Redis refused the command ({type(exc).__name__}: {exc}).", EXIT_ERROR)
    except UNREACHABLE as exc:
        return _fail(str(unavailable(exc)), EXIT_ERROR)
    except BrokenPipeError:  # `hooks ... | head`: the reader left, nothing to report
        return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `hooks` command."""
    from hooks.cli import apikeys, deliveries, dlq, event_types, events, outbox, portal, system, webhooks

    parser = argparse.ArgumentParser(prog="hooks", description="Manage webhooks, events, deliveries and the dead-letter "
                                     "queue; see where the system stands.")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    webhooks.add_parsers(sub)
    deliveries.add_parsers(sub)
    events.add_parsers(sub)
    dlq.add_parsers(sub)
    system.add_parsers(sub)
    apikeys.add_parsers(sub)
    event_types.add_parsers(sub)
    outbox.add_parsers(sub)
    portal.add_parsers(sub)
    processes.add_parsers(sub)
    return parser


def _fail(message: str, code: int) -> int:
    print(f"hooks: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def _redis_url() -> str:
    """The Redis URL, without its password."""
    from hooks.settings import get_settings
    from hooks.store.connection import safe_url

    return safe_url(get_settings().redis_url)
