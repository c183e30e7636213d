"""The one settings object. No other module reads the environment.

Every field maps to an environment variable: `redis_url` to `REDIS_URL`, every other field `name` to
`HOOKS_NAME` (upper case). Values are checked at start-up; a bad one raises `ConfigurationError` naming the
variable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hooks.errors import ConfigurationError

_FALSE = {"0", "false", "no", "off", ""}
_TRUE = {"1", "true", "yes", "on"}


class Settings(BaseModel):
    """Everything the producer, the workers, the scheduler and the command line can be told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = Field("hooks", pattern=r"^[A-Za-z0-9_.-]{1,32}$")

    # Producer side.
    publish_timeout_s: float = Field(3.0, gt=0, le=60)
    max_event_bytes: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    idempotency_ttl_s: int = Field(24 * 3600, ge=60)

    # Retention of events, deliveries and attempts.
    retention_days: float = Field(30, gt=0, le=3650)

    # HTTP.
    connect_timeout_s: float = Field(5.0, gt=0, le=60)
    request_timeout_s: float = Field(15.0, gt=0, le=300)
    max_response_bytes: int = Field(64 * 1024, ge=1024)
    logged_response_bytes: int = Field(1024, ge=0, le=64 * 1024)
    allow_private_networks: bool = False
    allowed_networks: str = ""
    require_https: bool = True
    ca_bundle: str | None = None
    user_agent: str = "hooks-webhooks/0.1 (+https://github.com/hooks-webhooks/hooks)"

    # Retries, breaker, isolation.
    retry_base_s: float = Field(5.0, gt=0)
    retry_factor: float = Field(5.0, ge=1)
    retry_max_delay_s: float = Field(10 * 3600, gt=0)
    retry_jitter: float = Field(0.2, ge=0, lt=1)
    max_attempts: int = Field(9, ge=1, le=100)
    breaker_threshold: int = Field(10, ge=1)
    breaker_cooldown_s: float = Field(30.0, gt=0)
    breaker_max_cooldown_s: float = Field(600.0, gt=0)
    disable_after_failing_s: float = Field(5 * 24 * 3600, gt=0)
    max_in_flight_per_webhook: int = Field(10, ge=1)
    scheduler_poll_s: float = Field(0.2, gt=0, le=10)
    scheduler_batch: int = Field(1000, ge=1, le=5000)

    # Fan-out.
    fanout_chunk: int = Field(1000, ge=1, le=5000)

    # Workers.
    worker_concurrency: int = Field(32, ge=1, le=1000)
    visibility_timeout_s: int = Field(60, ge=5)

    # Drains: the long-lived tasks that fan events out and POST deliveries, batch by batch (hooks/drain.py).
    drain_tasks: int = Field(16, ge=1, le=1000)  # at most this many at once in the cluster; keep < worker threads
    drain_batch: int = Field(20, ge=1, le=500)  # deliveries of one webhook taken at once
    drain_slice_s: float = Field(10.0, gt=0, le=60)  # a drain hands over to a fresh task after this long
    drain_linger_s: float = Field(2.0, ge=0, le=60)  # an idle drain waits this long for work before it ends

    @property
    def lease_s(self) -> float:
        """How long work taken by a drain stays its own: a slice plus one full request, plus margin."""
        return self.drain_slice_s + self.connect_timeout_s + self.request_timeout_s + 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default `os.environ`); raises ConfigurationError naming the variable."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            var = env_var(name)
            if var in env:
                values[name] = _coerce(var, env[var], field.annotation)
        try:
            return cls(**values)
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            var = env_var(str(err["loc"][0])) if err["loc"] else "settings"
            raise ConfigurationError(f"{var}: {err['msg']}.") from None

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, v: str) -> str:
        from hooks.ssrf import parse_networks

        parse_networks(v)  # raises ValidationError (a ValueError) naming the bad CIDR
        return v

    def key(self, *parts: str) -> str:
        """Build a Redis key under this deployment's prefix."""
        return ":".join((self.key_prefix, *parts))


def env_var(field_name: str) -> str:
    """The environment variable that sets `field_name`."""
    return "REDIS_URL" if field_name == "redis_url" else f"HOOKS_{field_name.upper()}"


def _coerce(var: str, raw: str, annotation: Any) -> Any:
    if annotation is bool:
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigurationError(f"{var}: expected true or false, got {raw!r}.")
    return raw


_lock = threading.Lock()
_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read from the environment once; raises ConfigurationError."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = Settings.from_env()
    return _current


def reset_settings(settings: Settings | None = None) -> None:
    """Forget the cached settings (tests, or a process that changed its environment)."""
    global _current
    with _lock:
        _current = settings
