"""Whether the product supports what a fault row needs yet: `REDIS_URL` in Sentinel form, and
`HOOKS_PUBLISH_MIN_REPLICAS`. The Sentinel rows and tests run as soon as the answer is yes.

The Sentinel form is `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/<master>/0`. It is supported when
`Settings.from_env` accepts it, `hooks.store.connection.get_redis` reaches the primary through the sentinels
(PING, then a write), and a process that imports `workers.app` reaches the Celery broker through them too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_BROKER_CHECK = """
from workers.app import app
with app.connection_for_write() as conn:
    conn.ensure_connection(max_retries=3, interval_start=0.2, interval_step=0.2, timeout=5)
    conn.default_channel.client.ping()
print("broker:", conn.as_uri())
"""


def sentinel_url_parses(url: str) -> str | None:
    """None when the settings take `url` as REDIS_URL and `get_redis` builds a client for it, else why not.

    Needs no server: a scheme the client does not know fails when the client is built.
    """
    from hooks.settings import Settings
    from hooks.store.connection import get_redis

    try:
        get_redis(Settings.from_env({"REDIS_URL": url}))
    except Exception as exc:  # noqa: BLE001 - any refusal is the answer
        return f"REDIS_URL={url!r} is not supported yet: get_redis raised {type(exc).__name__}: {exc}"
    return None


def sentinel_unsupported(url: str) -> str | None:
    """None when the product reaches a live Sentinel topology through `url` (store and broker), else why not."""
    from hooks.settings import Settings
    from hooks.store.connection import get_redis

    if reason := sentinel_url_parses(url):
        return reason
    try:
        client = get_redis(Settings.from_env({"REDIS_URL": url}))
        client.ping()
        client.set("hooks-faults:sentinel-check", "1")
    except Exception as exc:  # noqa: BLE001
        return f"get_redis({url!r}) does not reach the primary: {type(exc).__name__}: {exc}"
    return broker_unsupported(url)


def broker_unsupported(url: str) -> str | None:
    """None when a process importing `workers.app` with REDIS_URL=`url` reaches the Celery broker, else why not."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("HOOKS_")}
    env.update({"REDIS_URL": url, "PYTHONPATH": str(ROOT)})
    try:
        done = subprocess.run([sys.executable, "-c", _BROKER_CHECK], env=env, capture_output=True, text=True,
                              timeout=60, cwd=ROOT)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"the Celery broker did not connect through {url!r} within 60 s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"the Celery broker does not take REDIS_URL={url!r} yet: {last}"
    return None


def min_replicas_unsupported() -> str | None:
    """None when the settings know HOOKS_PUBLISH_MIN_REPLICAS, else why not (an unknown variable is ignored)."""
    from hooks.settings import Settings

    if "publish_min_replicas" in Settings.model_fields:
        return None
    return "HOOKS_PUBLISH_MIN_REPLICAS is not a setting yet (Settings has no publish_min_replicas): it would be ignored"
