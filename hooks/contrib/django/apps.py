"""The Django app `hooks.contrib.django` (label `hooks`): the outbox's tables, `publish_event`, `manage.py hooks_relay`."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class HooksConfig(AppConfig):
    """Reads `settings.HOOKS` over the environment once the project is loaded, and registers the system check."""

    name = "hooks.contrib.django"
    label = "hooks"
    verbose_name = "Webhooks (hooks)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Make the project's hooks settings every hooks call's settings; a bad one is left to the check to report."""
        from django.core import checks
        from django.core.signals import setting_changed

        from hooks.contrib.django import conf
        from hooks.contrib.django.checks import check_settings

        conf.configure()
        checks.register(check_settings, "hooks")
        setting_changed.connect(_reconfigure, dispatch_uid="hooks.contrib.django.reconfigure")


def _reconfigure(*, setting: str, **_: Any) -> None:
    """A test changed HOOKS (override_settings): read the settings again."""
    from hooks.contrib.django import conf

    if setting == "HOOKS":
        conf.configure()
