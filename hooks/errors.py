"""The one error tree of the project.

HooksError                  the root: every error this project raises on purpose
├── ConfigurationError      a setting is missing or malformed (names the variable)
├── ValidationError         bad input to a public entry point (also a ValueError; names the field)
│   ├── BlockedAddressError a URL resolves to an address the SSRF guard refuses
│   └── UnreadableError     input that cannot be read at all (a cursor no listing handed out): HTTP 400, not 422
├── NotFoundError           a webhook, event or delivery id that does not exist (also a KeyError)
├── PublishError            the event could not be made durable in Redis (broker unreachable, timeout)
└── DeliveryError           one HTTP attempt did not succeed
    ├── RetryableDeliveryError   try again later (timeout, refused connection, 5xx, 429 ...)
    └── PermanentDeliveryError   never try again (410 Gone, blocked address ...)
"""

from __future__ import annotations

__all__ = [
    "BlockedAddressError",
    "ConfigurationError",
    "DeliveryError",
    "HooksError",
    "NotFoundError",
    "PermanentDeliveryError",
    "PublishError",
    "RetryableDeliveryError",
    "UnreadableError",
    "ValidationError",
]


class HooksError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigurationError(HooksError):
    """A setting is missing or malformed; the message names the variable."""


class ValidationError(HooksError, ValueError):
    """Bad input to a public entry point; the one-sentence message names the field."""


class BlockedAddressError(ValidationError):
    """A URL's host is, or resolves to, an address the SSRF guard refuses."""

    def __init__(self, message: str, *, address: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.address = address
        self.reason = reason


class UnreadableError(ValidationError):
    """Input that cannot be read at all, as opposed to a readable value that breaks a rule (the API answers 400)."""


class NotFoundError(HooksError, KeyError):
    """A webhook, event or delivery id that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PublishError(HooksError):
    """The event could not be made durable in Redis; nothing was enqueued."""


class DeliveryError(HooksError):
    """One HTTP attempt did not succeed."""


class RetryableDeliveryError(DeliveryError):
    """The attempt failed in a way that may succeed later."""


class PermanentDeliveryError(DeliveryError):
    """The attempt failed in a way that retrying cannot fix."""
