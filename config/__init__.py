"""Settings of the webhook system: one typed object, read from `REDIS_URL` and `HOOKS_*` variables.

Stands alone: nothing here imports `hooks` or `workers`.
"""

from config.errors import ConfigurationError, HooksError
from config.settings import Settings, get_settings, reset_settings

__all__ = ["ConfigurationError", "HooksError", "Settings", "get_settings", "reset_settings"]
