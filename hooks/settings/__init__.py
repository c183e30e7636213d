"""Settings of the webhook system: one typed object, read from `REDIS_URL` and `HOOKS_*` variables.

Stands alone: nothing here imports more of `hooks` than `hooks.errors`, and nothing imports `workers`.
"""

from hooks.errors import ConfigurationError, HooksError
from hooks.settings.model import Settings, env_var, get_settings, reset_settings

__all__ = ["ConfigurationError", "HooksError", "Settings", "env_var", "get_settings", "reset_settings"]
