"""What a webhook is: a pydantic model with every rule its fields must follow."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import unquote, unquote_plus

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from hooks.errors import ValidationError
from hooks.models.credentials import ClientCertificate, OAuth2Client
from hooks.models.filters import check_filter
from hooks.models.ids import new_webhook_id
from hooks.models.rules import check_name, check_pattern
from hooks.ssrf import parse_url

MAX_PATTERNS = 64
MAX_HEADERS = 32
SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
MIN_RATE_PER_S, MAX_RATE_PER_S = 0.01, 10_000  # rate_limit_per_s: from one request in 100 s to 10,000 a second
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
_FORBIDDEN_HEADERS = {"host", "content-length", "content-type", "transfer-encoding", "authorization",
                      "connection", "user-agent", "upgrade", "te", "trailer", "expect", "keep-alive",
                      "proxy-authorization", "cookie"}  # fmt: skip
_SHOWN_HEADERS = {"content-type", "user-agent", "webhook-id", "webhook-timestamp"}  # values shown in logs


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def generate_secret() -> str:
    """A new signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret: the base64-decoded part after the prefix."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def generate_signing_key() -> str:
    """A new ed25519 signing key for Standard Webhooks `v1a`: `whsk_` + base64 of the 32-byte seed."""
    return SIGNING_KEY_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def public_key(signing_key: str) -> str:
    """The `whpk_` public key a receiver verifies `v1a` signatures with."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = base64.b64decode(signing_key.removeprefix(SIGNING_KEY_PREFIX))
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def _checked_url(url: str) -> str:
    parse_url(url)  # the SSRF guard's own URL rules (scheme, no credentials, literal tricks)
    return url


Url = Annotated[str, AfterValidator(_checked_url)]
Secret = Annotated[str, AfterValidator(lambda v: check_secret(v))]  # check_secret is defined below


class BasicAuth(BaseModel):
    """HTTP Basic credentials sent with every request."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Literal["basic"] = "basic"
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(max_length=1024)

    @field_validator("username")
    @classmethod
    def _no_colon(cls, v: str) -> str:
        if ":" in v or not v.isprintable():
            raise ValueError("auth.username: must be printable and cannot contain ':'")
        return v


class BearerAuth(BaseModel):
    """A bearer token sent as `Authorization: Bearer ...`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Literal["bearer"] = "bearer"
    token: str = Field(min_length=1, max_length=4096)

    @field_validator("token")
    @classmethod
    def _printable(cls, v: str) -> str:
        if not v.isprintable() or " " in v or not v.isascii():
            raise ValueError("auth.token: must be printable ASCII with no spaces")
        return v


Auth = Annotated[BasicAuth | BearerAuth, Field(discriminator="type")]


class RetryOverrides(BaseModel):
    """Per-webhook overrides of the retry settings; None keeps the global value."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    base_s: float | None = Field(None, gt=0)
    factor: float | None = Field(None, ge=1)
    max_delay_s: float | None = Field(None, gt=0)
    jitter: float | None = Field(None, ge=0, lt=1)
    max_attempts: int | None = Field(None, ge=1, le=100)


class OldSecret(BaseModel):
    """A rotated-out secret that still signs until `expires_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    secret: Secret
    expires_at: AwareDatetime


class Webhook(BaseModel):
    """A subscription: where to POST which events of which stack and branches, and how.

    `filter` narrows the events further by their payload: an object of dot-separated path (into the body the
    receiver gets: `data.entry.locale`, `type`, `data.tags.0`) -> condition (a plain value for equals, or
    operators `$eq $ne $in $nin $exists $prefix $gt $gte $lt $lte`), all of which must hold; stored in normal
    form (every condition an operator object), None for every event. hooks/models/filters.py has the exact
    rules and bounds; the fan-out evaluates it inside Redis (hooks/store/includes/filter.lua).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    id: str = Field(default_factory=new_webhook_id, pattern=r"^wh_[0-9A-Z]{26}$")
    name: str = Field("", max_length=256)
    url: Url
    events: list[str] = Field(min_length=1, max_length=MAX_PATTERNS)
    stack: str = "default"
    branches: list[str] = Field(default_factory=lambda: ["main"], min_length=1, max_length=64)
    headers: dict[str, str] = Field(default_factory=dict)
    auth: Auth | None = None
    secret: Secret = Field(default_factory=generate_secret)
    old_secrets: list[OldSecret] = Field(default_factory=list)
    signing_key: str | None = None  # ed25519 (`whsk_`): adds a `v1a` signature receivers check with a public key
    concise: bool = False
    ordered: bool = False  # sent in publish order, one at a time; a failing delivery holds the ones behind it
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    retry_policy: Literal["auto", "manual"] = "auto"
    retry: RetryOverrides = Field(default_factory=RetryOverrides)
    description: str = Field("", max_length=2048)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    mtls: ClientCertificate | None = None  # a client certificate for https endpoints that ask for one (sealed key)
    oauth2: OAuth2Client | None = None  # OAuth2 client credentials: a bearer token fetched and cached by workers
    # at most this many requests a second (a token bucket in Redis shared by every worker); None: no limit
    rate_limit_per_s: float | None = None
    # a payload filter, path -> condition (hooks/models/filters.py has the language); None: every event
    filter: dict[str, Any] | None = None

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        for pattern in v:
            check_pattern(pattern, "events")
        return list(dict.fromkeys(v))

    @field_validator("stack")
    @classmethod
    def _stack(cls, v: str) -> str:
        return check_name(v, "stack")

    @field_validator("branches")
    @classmethod
    def _branches(cls, v: list[str]) -> list[str]:
        for b in v:
            if b != "*":
                check_name(b, "branches")
        return ["*"] if "*" in v else list(dict.fromkeys(v))

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) > MAX_HEADERS:
            raise ValueError(f"headers: at most {MAX_HEADERS} custom headers")
        for name, value in v.items():
            check_header(name, value)
        return v

    @field_validator("signing_key")
    @classmethod
    def _signing_key(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            raw = base64.b64decode(v.removeprefix(SIGNING_KEY_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not v.startswith(SIGNING_KEY_PREFIX) or len(raw) != 32:
            raise ValueError("signing_key: must be whsk_ followed by base64 of a 32-byte ed25519 seed")
        return v

    @field_validator("filter", mode="before")
    @classmethod
    def _filter(cls, v: Any) -> Any:
        try:
            return check_filter(v)
        except ValidationError as exc:  # pydantic reports ValueErrors only; the message names the field already
            raise ValueError(str(exc)) from None

    @field_validator("rate_limit_per_s", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Any:
        return check_rate(v)

    @model_validator(mode="after")
    def _credentials(self) -> Webhook:
        if self.oauth2 is not None and self.auth is not None:
            raise ValueError("oauth2: cannot be combined with auth (both set the Authorization header)")
        if self.mtls is not None and not self.url.lower().startswith("https:"):
            raise ValueError("client_cert: needs an https:// url (a client certificate is sent over TLS only)")
        return self

    @model_validator(mode="after")
    def _name_default(self) -> Webhook:
        if not self.name:
            object.__setattr__(self, "name", masked_url(self.url.split("?", 1)[0].split("#", 1)[0])[:256])
        return self

    @property
    def masked_url(self) -> str:
        """The URL with its credentials masked (`masked_url`: path segments that look like one, query values)."""
        return masked_url(self.url)

    def public_dict(self, *, show_secret: bool = False) -> dict[str, Any]:
        """The webhook as JSON-ready data; unless asked for, every secret masked: the signing secrets and key, the
        URL's query values, custom header values (often API keys), the auth password or token."""
        data = self.model_dump(mode="json")
        if self.signing_key:
            data["public_key"] = public_key(self.signing_key)
        if not show_secret:
            if self.signing_key:
                data["signing_key"] = mask(self.signing_key)
            data["url"] = self.masked_url
            data["secret"] = mask(self.secret)
            data["old_secrets"] = [{"secret": mask(o.secret), "expires_at": o.expires_at.isoformat()}
                                   for o in self.old_secrets]  # fmt: skip
            data["headers"] = {name: mask(value) for name, value in self.headers.items()}
            if self.auth is not None:
                data["auth"] = {**data["auth"], **{k: mask(data["auth"][k]) for k in ("password", "token")
                                                   if k in data["auth"]}}  # fmt: skip
        # the client key and the OAuth2 secret are never shown again, even when asked for the other secrets
        data["mtls"] = self.mtls.public() if self.mtls is not None else None
        data["oauth2"] = None
        if self.oauth2 is not None:
            data["oauth2"] = {**self.oauth2.public(), "token_url": masked_url(self.oauth2.token_url)}
        return data


@lru_cache(maxsize=4096)
def parse_stored(raw: bytes) -> Webhook:
    """A webhook from its stored JSON, parsed (and validated) once per distinct JSON: workers read it per delivery."""
    return Webhook.model_validate_json(raw)


def check_header(name: Any, value: Any) -> None:
    """Refuse a custom header the request must not carry or that could split it; raises ValueError."""
    if not isinstance(name, str) or not _HEADER_NAME_RE.match(name):
        raise ValueError(f"headers: {name!r} is not a valid header name")
    low = name.lower()
    if low in _FORBIDDEN_HEADERS or low.startswith("webhook-"):
        raise ValueError(f"headers: {name} cannot be set as a custom header (use the auth field for Authorization)")
    if (
        not isinstance(value, str)
        or len(value) > 4096
        or not value.isascii()
        or any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value)
    ):
        raise ValueError(
            f"headers: the value of {name} must be at most 4096 ASCII characters with no control characters"
        )


def check_rate(rate: Any) -> float | None:
    """Return `rate` as a float if it is None or a number of requests a second in range; raises ValueError."""
    if rate is None:
        return None
    number = isinstance(rate, (int, float)) and not isinstance(rate, bool)
    if not number or not MIN_RATE_PER_S <= rate <= MAX_RATE_PER_S:  # NaN fails the comparison too
        raise ValueError(f"rate_limit_per_s: must be a number of requests a second from {MIN_RATE_PER_S} to "
                         f"{MAX_RATE_PER_S:,} (or null for no limit), got {str(rate)[:20]!r}.")  # fmt: skip
    return float(rate)


def check_secret(secret: Any) -> str:
    """Return `secret` if it is `whsec_` + base64 of 24-64 bytes; raises ValueError."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError("secret: must start with whsec_ followed by base64 of 24 to 64 random bytes")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("secret: the part after whsec_ is not valid base64") from None
    if not 24 <= len(raw) <= 64:
        raise ValueError(f"secret: must decode to 24 to 64 bytes, got {len(raw)}")
    return secret


def mask(secret: str) -> str:
    """A secret as `…` and its last 4 characters when it has at least 20 (enough left unseen), else `…` alone;
    never a prefix, except the public one of our own secrets and keys (`whsec_…abcd`). The one mask of the API,
    the dashboard and the CLI."""
    prefix = next((p for p in (SECRET_PREFIX, SIGNING_KEY_PREFIX) if secret.startswith(p)), "")
    rest = secret[len(prefix) :]
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 20 else f"{prefix}…"


def shown_headers(headers: dict[str, str]) -> dict[str, str]:
    """A request's headers as they are shown (an attempt's log, a test send's answer): the values of auth,
    signatures and custom headers redacted (custom ones cannot take these names: `_FORBIDDEN_HEADERS`)."""
    return {k: (v if k.lower() in _SHOWN_HEADERS else "[redacted]") for k, v in headers.items()}


def masked_url(url: str) -> str:
    """`url` with its credentials masked (`mask`): every path segment that looks like one, the value of every query
    parameter, and a fragment: `https://hooks.slack.com/services/…/…/…wxyz?token=…wxyz`. A path segment looks like a
    credential when it has at least 16 characters with both letters and digits, or at least 24 characters of
    base64url (letters, digits, `-`, `_`) not all in lower case (Slack's, Discord's and Teams' webhook URLs carry
    their token in the path); readable words (`/content-types-webhook`) stay as they are."""
    base, _, fragment = url.partition("#")
    base, question, query = base.partition("?")
    scheme, sep, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    shown_path = "/".join(mask(s) if _looks_secret(unquote(s)) else s for s in path.split("/"))
    pairs = [(k, unquote_plus(v)) for k, _, v in (p.partition("=") for p in query.split("&")) if k or v]
    shown = scheme + sep + host + slash + shown_path + question + "&".join(f"{k}={mask(v)}" for k, v in pairs)
    return shown + (f"#{mask(fragment)}" if fragment else "")


_BASE64URL_RE = re.compile(r"^[A-Za-z0-9_-]{24,}$")


def _looks_secret(segment: str) -> bool:
    """Whether a URL path segment looks like a credential (see `masked_url`)."""
    letters, digits = any(c.isalpha() for c in segment), any(c.isdigit() for c in segment)
    if len(segment) >= 16 and letters and digits:
        return True
    return bool(_BASE64URL_RE.match(segment)) and segment != segment.lower()
