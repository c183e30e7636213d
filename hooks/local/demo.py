"""The demo: the whole system doing its main job on this machine, then stopping everything it started.

Starts a private redis-server (unless REDIS_URL is set), a Celery worker, the scheduler and a receiver on
127.0.0.1 that verifies every signature; registers three webhooks (a wildcard, one on another branch that must
receive nothing, a concise one); publishes a few events; prints what each webhook got; exits 0 only if that is
exactly what was expected. Run it with `python -m hooks.local.demo`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hooks.local.processes import scheduler_args, start_process, stop_process, worker_args
from hooks.local.receiver import Receiver
from hooks.local.servers import RedisServer

EVENTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("content_types.entries.publish", {"uid": "blt01", "title": "Hello", "locale": "en-us", "entry": {"body": "..."}},
     ["content_types.blog_post.entries.publish"]),
    ("content_types.entries.update", {"uid": "blt01", "title": "Hello again", "locale": "en-us"},
     ["content_types.blog_post.entries.update"]),
    ("assets.delete", {"uid": "blt99", "filename": "cat.png"}, []),
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit code. `--keep-logs` keeps the processes' logs even when all went well."""
    keep_logs = "--keep-logs" in (sys.argv[1:] if argv is None else argv)
    server = None
    if not os.environ.get("REDIS_URL"):
        server = RedisServer().start()
        os.environ["REDIS_URL"] = server.url
        print(f"started a private redis-server on {server.url} (pid {server.proc.pid if server.proc else '?'})")
    os.environ.update({"HOOKS_ALLOW_PRIVATE_NETWORKS": "true", "HOOKS_REQUIRE_HTTPS": "false",
                       "HOOKS_KEY_PREFIX": f"demo{os.getpid()}"})  # fmt: skip
    logs = Path(tempfile.mkdtemp(prefix="hooks-demo-"))
    receiver = Receiver().start()
    procs = [start_process(worker_args(concurrency=8), os.environ, logs / "worker.log"),
             start_process(scheduler_args(), os.environ, logs / "scheduler.log")]  # fmt: skip
    print(f"started a worker (pid {procs[0].pid}), the scheduler (pid {procs[1].pid}) and a receiver on {receiver.url}")
    ok = False
    try:
        ok = _run(receiver)
    finally:
        for proc in procs:
            stop_process(proc)
        receiver.stop()
        if server is not None:
            server.stop()
        print(f"stopped everything the demo started; {_logs_fate(logs, keep=keep_logs or not ok)}")
    print("DEMO OK" if ok else "DEMO FAILED")
    return 0 if ok else 1


def _logs_fate(logs: Path, *, keep: bool) -> str:
    """Keep the logs (a failure, or --keep-logs) and say where, or remove them."""
    if keep:
        return f"logs in {logs}"
    shutil.rmtree(logs, ignore_errors=True)
    return "logs removed (--keep-logs keeps them)"


def _run(receiver: Receiver) -> bool:
    import hooks
    from hooks.signing.verify import verify

    wildcard = hooks.create_webhook(f"{receiver.url}/wildcard", ["content_types.#", "assets.*"],
                                    stack="demo", name="everything on main")  # fmt: skip
    staging = hooks.create_webhook(f"{receiver.url}/staging", ["#"], stack="demo", branches=["staging"],
                                   name="staging branch only")  # fmt: skip
    concise = hooks.create_webhook(f"{receiver.url}/concise", ["content_types.blog_post.entries.*"],
                                   stack="demo", concise=True, name="blog posts, concise")  # fmt: skip
    event_ids = [hooks.publish_event(t, d, stack="demo", branch="main", channels=c) for t, d, c in EVENTS]
    print(f"published {len(event_ids)} events on stack demo, branch main")
    expected = {wildcard.id: 3, staging.id: 0, concise.id: 2}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = [d for e in event_ids for d in hooks.list_deliveries(event_id=e) if d.status != "pending"]
        if len(done) == sum(expected.values()):
            break
        time.sleep(0.1)
    ok = True
    for wh in (wildcard, staging, concise):
        path = "/" + wh.url.rsplit("/", 1)[1]
        got = receiver.requests_to(path)
        verified = 0
        for req in got:
            try:
                verify(wh.secret, req.headers, req.body)
                verified += 1
            except hooks.ValidationError:
                pass
        types = [json.loads(r.body)["type"] for r in got]
        good = len(got) == expected[wh.id] and verified == len(got)
        ok &= good
        print(f"  {'ok ' if good else 'BAD'} {wh.name!r} ({path}): {len(got)} received (expected {expected[wh.id]}), "
              f"{verified} verified; {types}")  # fmt: skip
        if wh.concise and got:
            print(f"      concise body: {got[0].body.decode()}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
