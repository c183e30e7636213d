"""The hooks settings of a Django process: `settings.HOOKS` over the environment.

    HOOKS = {"REDIS_URL": "redis://cache:6379/0", "HOOKS_MAX_EVENT_BYTES": 100_000, "HOOKS_OUTBOX_DATABASE": "default"}

The keys are the environment variables' names (`REDIS_URL`, `HOOKS_*`), so what the README's Settings table says of
a variable holds for its key; a key wins over the variable. Values are strings, numbers or booleans; None or "" means unset
(the default, even where the environment sets the variable).

`HOOKS_OUTBOX_DATABASE` is Django's own key, read from HOOKS only: the alias in `DATABASES` that holds the outbox
tables (default "default"). It is no field of `Settings` because no other process has a `DATABASES` to look it up in,
and only here can it be checked against them (hooks.E003).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from hooks.errors import ConfigurationError
from hooks.settings import Settings, env_var, reset_settings

OUTBOX_DATABASE = "HOOKS_OUTBOX_DATABASE"
DEFAULT_ALIAS = "default"


@dataclass(frozen=True)
class DjangoHooks:
    """The hooks settings of this Django process, and the database alias of its outbox."""

    settings: Settings
    environ: Mapping[str, str]  # what `settings` were read from: the environment with HOOKS over it
    outbox_database: str


def known_keys() -> frozenset[str]:
    """Every key `settings.HOOKS` may hold: the variables `Settings` reads, and HOOKS_OUTBOX_DATABASE."""
    return frozenset({env_var(name) for name in Settings.model_fields} | {OUTBOX_DATABASE})


def hooks_values(raw: object) -> dict[str, str]:
    """`settings.HOOKS` as the strings the environment would hold (unset: ""); raises ConfigurationError naming the
    key when HOOKS is not a dict, names an unknown key or holds a value of another type (hooks.E002)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigurationError(
            f"HOOKS: expected a dict of environment variable names to values, got {type(raw).__name__}."
        )
    keys = known_keys()
    values = {}
    for key, value in raw.items():
        if key not in keys:
            raise ConfigurationError(f"HOOKS[{key!r}]: not a hooks setting{_did_you_mean(key, keys)}.")
        values[key] = _as_text(key, value)
    return values


def load(raw: object, environ: Mapping[str, str] | None = None) -> DjangoHooks:
    """The settings from `raw` (settings.HOOKS) over `environ` (default os.environ); raises ConfigurationError naming
    the key or variable."""
    values = hooks_values(raw)
    alias = values.pop(OUTBOX_DATABASE, "") or DEFAULT_ALIAS
    merged = {**(os.environ if environ is None else environ), **values}
    return DjangoHooks(Settings.from_env(merged), merged, alias)


_state: DjangoHooks | ConfigurationError | None = None


def configure() -> DjangoHooks | None:
    """Read `settings.HOOKS` over the environment and make the result every hooks call's settings in this process
    (AppConfig.ready, and again when a test overrides HOOKS); a bad value is kept for the system check and for
    `current()` to raise, and None returned."""
    from django.conf import settings

    global _state
    try:
        _state = load(getattr(settings, "HOOKS", None))
    except ConfigurationError as exc:
        _state = exc
        return None
    reset_settings(_state.settings)
    return _state


def current() -> DjangoHooks:
    """This process's hooks settings (read on first use if the app is not ready yet); raises ConfigurationError
    naming the bad key or variable."""
    if _state is None:
        configure()
    state = _state
    if isinstance(state, ConfigurationError):
        raise ConfigurationError(str(state))
    assert state is not None  # configure() leaves a state or an error
    return state


def _as_text(key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ConfigurationError(f"HOOKS[{key!r}]: expected a string, number or boolean, got {type(value).__name__}.")


def _did_you_mean(key: object, keys: frozenset[str]) -> str:
    if not isinstance(key, str):
        return " (the keys are environment variable names: REDIS_URL, HOOKS_*)"
    guesses = [k for k in (key.upper(), f"HOOKS_{key.upper()}") if k in keys]
    guesses = guesses or difflib.get_close_matches(key.upper(), sorted(keys), n=1)
    if guesses:
        return f" (did you mean {guesses[0]}?)"
    return " (the keys are environment variable names: REDIS_URL, HOOKS_*, as the README's Settings table lists them)"
