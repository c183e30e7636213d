"""The one settings object. No other module reads the environment.

Every field maps to an environment variable: `redis_url` to `REDIS_URL`, every other field `name` to
`HOOKS_NAME` (upper case), read by pydantic-settings. An empty variable counts as unset. Values are checked at
start-up; a bad one raises `ConfigurationError` whose one line names the variable.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cached_property

import pydantic
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from hooks.errors import ConfigurationError
from hooks.settings.egress import parse_no_proxy, parse_proxy_url
from hooks.settings.keys import parse_keys
from hooks.settings.networks import Network, parse_networks
from hooks.settings.portal import check_color, check_logo_url, parse_frame_ancestors
from hooks.settings.public_url import check_forwarded_ips, parse_origin
from hooks.settings.redis_url import check_redis_url

# The mapping `Settings.from_env` reads instead of os.environ (None: os.environ).
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("hooks_settings_environ", default=None)


class Settings(BaseSettings):
    """Everything the producer, the workers, the scheduler and the command line can be told."""

    model_config = SettingsConfigDict(
        env_prefix="HOOKS_", case_sensitive=False, env_ignore_empty=True, frozen=True, extra="forbid",
        populate_by_name=True,
    )  # fmt: skip

    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    key_prefix: str = Field("hooks", pattern=r"^[A-Za-z0-9_.-]{1,32}$")

    # Producer side.
    publish_timeout_s: float = Field(3.0, gt=0, le=60)
    publish_min_replicas: int = Field(0, ge=0, le=10)  # publish returns once this many replicas have the event
    max_event_bytes: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    idempotency_ttl_s: int = Field(24 * 3600, ge=60)

    # The history (events, deliveries, attempts) in PostgreSQL, written by the archiver (workers/archiver/).
    database_url: str | None = None
    retention_days: float = Field(30, gt=0, le=3650)  # whole day partitions older than this are dropped
    finished_ttl_s: float = Field(10, ge=1, le=3600)  # a finished delivery or event leaves Redis within this long
    archive_batch: int = Field(1000, ge=1, le=10000)  # stream entries the archiver writes per transaction
    archive_claim_idle_s: float = Field(10, ge=1)  # entries a dead archiver held are claimed after this long
    partitions_ahead_days: int = Field(7, ge=1, le=90)  # day partitions created ahead of time

    # The outbox in the application's own database (hooks/outbox/): `hooks.outbox.publish` writes, `hooks relay` moves.
    outbox_url: str | None = None  # SQLAlchemy URL of the app's database (postgresql://..., sqlite:///...)
    outbox_batch: int = Field(500, ge=1, le=5000)  # rows the relay publishes per Redis call
    outbox_poll_s: float = Field(0.5, gt=0, le=60)  # how often it looks where there is no NOTIFY (not PostgreSQL)
    # how long Redis remembers a relayed event's outbox key (rows without the app's own idempotency_key): it must
    # outlast the time a dead relay's rows take to come back (PostgreSQL ends its transaction within 60 s)
    outbox_idempotency_ttl_s: int = Field(3600, ge=300, le=30 * 86400)

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
    # keys sealing client keys, OAuth2 secrets and tokens at rest (hooks/sealed.py): base64 of 32 bytes, comma-
    # separated, the first seals and every one opens (rotation); never shown (repr=False)
    encryption_key: str | None = Field(None, repr=False)
    # http://[user:password@]host:port: every attempt leaves through this proxy (CONNECT to the checked address)
    egress_proxy_url: str | None = Field(None, repr=False)
    egress_no_proxy: str = ""  # names (and their subdomains), addresses, CIDRs or `*` that go direct

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

    # Workers.
    worker_concurrency: int = Field(32, ge=1, le=1000)
    worker_task_events: bool = True  # `hooks worker` sends task events (-E), so Flower sees the drains
    visibility_timeout_s: int = Field(60, ge=5)

    # Drains: the long-lived tasks that fan events out and POST deliveries, batch by batch (workers/drain/).
    drain_tasks: int = Field(16, ge=1, le=1000)  # at most this many at once in the cluster; keep < worker threads
    drain_batch: int = Field(20, ge=1, le=500)  # deliveries of one webhook taken at once
    drain_slice_s: float = Field(10.0, gt=0, le=60)  # a drain hands over to a fresh task after this long
    drain_linger_s: float = Field(2.0, ge=0, le=60)  # an idle drain waits this long for work before it ends

    # The operators' HTTP API, dashboard and Prometheus metrics (hooks/api/, hooks/metrics/): `python -m hooks.api`.
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_max_body_bytes: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)  # a larger request body: 413
    api_max_page_size: int = Field(500, ge=1, le=1000)  # the largest `limit` a listing accepts
    api_session_ttl_s: float = Field(8 * 3600, ge=60, le=30 * 86400)  # a dashboard login lasts this long
    # the origin browsers use (https://hooks.example.com behind a TLS proxy): https makes the dashboard's cookies
    # `__Host-` + Secure whatever the request says, and forms must come from this origin
    api_public_url: str | None = None
    api_forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-Proto/-For uvicorn believes
    api_test_send_timeout_s: float = Field(10.0, gt=0, le=60)  # "send a test event": the whole request's deadline
    metrics_top_webhooks: int = Field(1000, ge=1, le=100_000)  # webhooks labelled by id; the rest are `other`
    metrics_dlq_cache_s: float = Field(10.0, ge=0, le=3600)  # how long /metrics reuses its count of the DLQ

    # The customers' portal (hooks/portal/): origins that may frame it (space or comma separated; unset: none),
    # its default logo (https URL) and primary color (#rrggbb), and the product's name its pages ask a link from.
    portal_frame_ancestors: str = ""
    portal_logo_url: str | None = None
    portal_primary_color: str | None = None
    portal_product_name: str = Field("", max_length=80)  # unset: "the app that sent you here"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then the environment; no .env or secrets files."""
        return init_settings, _EnvSource(settings_cls)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default `os.environ`); raises ConfigurationError naming the variable."""
        token = _environ.set(environ)
        try:
            return cls()
        except pydantic.ValidationError as exc:
            raise _configuration_error(exc) from None
        finally:
            _environ.reset(token)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        return check_redis_url(v)  # raises ValueError saying what is wrong

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, v: str) -> str:
        parse_networks(v)  # raises ValueError naming the bad CIDR
        return v

    @field_validator("api_public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is not None:
            parse_origin(v)  # raises ValueError saying what is wrong
        return v

    @field_validator("api_forwarded_allow_ips")
    @classmethod
    def _forwarded(cls, v: str) -> str:
        return check_forwarded_ips(v)  # raises ValueError naming the bad entry

    @property
    def api_origin(self) -> tuple[str, str, int] | None:
        """HOOKS_API_PUBLIC_URL as (scheme, host, port), or None when it is not set."""
        return parse_origin(self.api_public_url) if self.api_public_url else None

    @field_validator("portal_frame_ancestors")
    @classmethod
    def _frame_ancestors(cls, v: str) -> str:
        parse_frame_ancestors(v)  # raises ValueError naming the bad origin
        return v

    @field_validator("portal_logo_url")
    @classmethod
    def _logo_url(cls, v: str | None) -> str | None:
        return None if v is None else check_logo_url(v)

    @field_validator("portal_primary_color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        return None if v is None else check_color(v)

    @property
    def portal_ancestors(self) -> tuple[str, ...]:
        """HOOKS_PORTAL_FRAME_ANCESTORS as origins (empty: no page may frame the portal)."""
        return parse_frame_ancestors(self.portal_frame_ancestors)

    @field_validator("encryption_key")
    @classmethod
    def _encryption_key(cls, v: str | None) -> str | None:
        parse_keys(v)  # raises ValueError naming the bad key by its position, never its text
        return v

    @property
    def encryption_keys(self) -> tuple[bytes, ...]:
        """`encryption_key` parsed (cached by its text: a model_copy must not keep another's keys): the sealing key
        first, then the ones that only open (hooks/sealed.py)."""
        return parse_keys(self.encryption_key)

    @field_validator("egress_proxy_url")
    @classmethod
    def _egress_proxy(cls, v: str | None) -> str | None:
        if v is not None:
            parse_proxy_url(v)  # raises ValueError saying what is wrong, never quoting the URL (it holds a password)
        return v

    @field_validator("egress_no_proxy")
    @classmethod
    def _no_proxy(cls, v: str) -> str:
        parse_no_proxy(v)  # raises ValueError naming the bad entry
        return v

    @cached_property
    def networks(self) -> tuple[Network, ...]:
        """`allowed_networks` parsed: the networks the SSRF guard lets through."""
        return parse_networks(self.allowed_networks)

    @property
    def lease_s(self) -> float:
        """How long work taken by a drain stays its own: a slice plus one full request, plus margin."""
        return self.drain_slice_s + self.connect_timeout_s + self.request_timeout_s + 10

    def require_database(self) -> str:
        """The history's URL; raises ConfigurationError naming HOOKS_DATABASE_URL when it is not set."""
        if not self.database_url:
            raise ConfigurationError(
                "HOOKS_DATABASE_URL: not set; this process needs the history database (postgresql://user@host/db)."
            )
        return self.database_url


class _EnvSource(EnvSettingsSource):
    """The environment source, reading the mapping given to `Settings.from_env` when there is one."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = _environ.get()
        if env is None:
            return super()._load_env_vars()
        return {k.lower(): v for k, v in env.items() if v != ""}


def env_var(field_name: str) -> str:
    """The environment variable that sets `field_name`."""
    return "REDIS_URL" if field_name in ("redis_url", "REDIS_URL") else f"HOOKS_{field_name.upper()}"


def _configuration_error(exc: pydantic.ValidationError) -> ConfigurationError:
    err = exc.errors(include_url=False)[0]
    var = env_var(str(err["loc"][0])) if err["loc"] else "settings"
    msg = str(err["msg"]).removeprefix("Value error, ").rstrip(".")
    return ConfigurationError(f"{var}: {msg}.")


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
