"""How a webhook proves who is calling, beyond its signature: an mTLS client certificate, OAuth2 client credentials.

The stored forms (`ClientCertificate`, `OAuth2Client`) hold their secrets sealed (hooks/sealed.py) and what may be
shown beside them (the certificate's subject, issuer, expiry and fingerprint; the secret's mask). `OAuth2Input`
is what callers give; hooks/registry/credentials.py checks and seals it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from hooks.ssrf import parse_url

# A token, a scope or an id is sent in a header or a form: printable ASCII, no spaces (scopes are space-separated).
_MAX_TEXT = 1024


def _printable(value: str, field: str, *, spaces: bool = False) -> str:
    if not value.isascii() or not value.isprintable() or (not spaces and " " in value):
        raise ValueError(f"{field}: must be printable ASCII" + ("" if spaces else " without spaces"))
    return value


class ClientCertificate(BaseModel):
    """An mTLS client certificate (PEM, its chain) and its private key, sealed; the rest is what is shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    cert_pem: str = Field(max_length=64 * 1024)
    key_sealed: str = Field(max_length=64 * 1024)
    subject: str
    issuer: str
    not_after: AwareDatetime
    fingerprint_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def public(self) -> dict[str, Any]:
        """What the API, the CLI and the dashboard show: never the key, nor the PEM."""
        return {"subject": self.subject, "issuer": self.issuer, "not_after": self.not_after.isoformat(),
                "fingerprint_sha256": self.fingerprint_sha256}  # fmt: skip


class OAuth2Fields(BaseModel):
    """The OAuth2 client-credentials settings that are not secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    token_url: str = Field(max_length=2048)
    client_id: str = Field(min_length=1, max_length=_MAX_TEXT)
    scope: str = Field("", max_length=_MAX_TEXT)
    audience: str = Field("", max_length=_MAX_TEXT)
    client_auth: Literal["basic", "body"] = "basic"  # RFC 6749 §2.3.1: HTTP Basic (the default) or the form body

    @field_validator("token_url")
    @classmethod
    def _url(cls, v: str) -> str:
        try:
            parse_url(v)
        except ValueError as exc:  # the SSRF guard's own rules, its message renamed to this field
            raise ValueError("oauth2.token_url: " + str(exc).removeprefix("url: ")) from None
        return v

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, v: str) -> str:
        return _printable(v, "oauth2.client_id", spaces=True)

    @field_validator("scope")
    @classmethod
    def _scope(cls, v: str) -> str:
        return _printable(v, "oauth2.scope", spaces=True)

    @field_validator("audience")
    @classmethod
    def _audience(cls, v: str) -> str:
        return _printable(v, "oauth2.audience", spaces=True)


class OAuth2Input(OAuth2Fields):
    """OAuth2 settings as given: `client_secret` in clear (None on an update keeps the stored one)."""

    client_secret: str | None = Field(None, min_length=1, max_length=_MAX_TEXT)

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        return v if v is None else _printable(v, "oauth2.client_secret", spaces=True)


class OAuth2Client(OAuth2Fields):
    """OAuth2 settings as stored: the client secret sealed, and its mask for display."""

    client_secret_sealed: str = Field(max_length=4096)
    client_secret_mask: str = Field(max_length=16)

    def public(self) -> dict[str, Any]:
        """What the API, the CLI and the dashboard show: the secret as its mask only (Webhook.public_dict masks
        the token URL's query too)."""
        return {**self.model_dump(mode="json", include=set(OAuth2Fields.model_fields)),
                "client_secret": self.client_secret_mask}  # fmt: skip
