"""The system check of `manage.py check` (and of runserver and migrate): the hooks settings of the project.

hooks.E001  the settings are invalid (a bad value in settings.HOOKS or the environment)
hooks.E002  settings.HOOKS is not a dict, names an unknown key or holds a value of another type
hooks.E003  the outbox's database alias (HOOKS_OUTBOX_DATABASE) is not in DATABASES
hooks.W001  REDIS_URL is set neither in settings.HOOKS nor in the environment (the default, localhost, is used)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage, Error, Warning

from hooks.contrib.django.conf import OUTBOX_DATABASE, hooks_values, load
from hooks.errors import ConfigurationError
from hooks.settings import Settings

_WHERE = "Fix it in settings.HOOKS or in the environment (a HOOKS key wins over the variable of the same name)."


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The project's hooks settings, checked (registered by the app's ready())."""
    from django.conf import settings

    return problems(getattr(settings, "HOOKS", None), os.environ, getattr(settings, "DATABASES", {}))


def problems(raw: object, environ: Mapping[str, str], databases: Mapping[str, Any]) -> list[CheckMessage]:
    """What is wrong with `raw` (settings.HOOKS) over `environ`, given the project's DATABASES."""
    try:
        hooks_values(raw)
    except ConfigurationError as exc:
        hint = 'HOOKS is a dict whose keys are environment variable names, e.g. {"REDIS_URL": "redis://host:6379/0"}.'
        return [Error(str(exc), hint=hint, id="hooks.E002")]
    found: list[CheckMessage] = []
    try:
        config = load(raw, environ)
    except ConfigurationError as exc:
        return [Error(str(exc), hint=_WHERE, id="hooks.E001")]
    if config.outbox_database not in databases:
        found.append(
            Error(
                f"HOOKS[{OUTBOX_DATABASE!r}]: the database {config.outbox_database!r} is not in DATABASES "
                f"({', '.join(sorted(databases)) or 'none'}).",
                hint="Name the DATABASES alias whose database holds the outbox tables (default: 'default').",
                id="hooks.E003",
            )
        )
    if not any(key.upper() == "REDIS_URL" and value for key, value in config.environ.items()):
        default = Settings.model_fields["redis_url"].default
        found.append(
            Warning(
                f"REDIS_URL is set neither in settings.HOOKS nor in the environment, so events go to {default}.",
                hint='Add "REDIS_URL": "redis://host:6379/0" to settings.HOOKS, or export REDIS_URL.',
                id="hooks.W001",
            )
        )
    return found
