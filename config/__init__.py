"""Settings of the webhook system: one typed object, read from `REDIS_URL` and `HOOKS_*` variables."""

from config.settings import Settings, get_settings, reset_settings

__all__ = ["Settings", "get_settings", "reset_settings"]
