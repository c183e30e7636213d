"""`hooks.verify.verify(secret, headers, body)`: what a receiver runs to check a webhook, by its documented name.

A receiver that installed this package checks a request in one call; the code lives in `hooks.signing.verify`.
"""

from hooks.signing.verify import TOLERANCE_S, verify

__all__ = ["TOLERANCE_S", "verify"]
