"""The root of the project's error tree, and the error of a bad setting.

They live here, not in `hooks.errors`, so that the settings stand alone: `config` imports nothing of `hooks` or
`workers`. `hooks.errors` re-exports both and draws the whole tree.
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "HooksError"]


class HooksError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigurationError(HooksError):
    """A setting is missing or malformed; the message names the variable."""
