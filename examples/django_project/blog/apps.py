"""The blog app."""

from django.apps import AppConfig


class BlogConfig(AppConfig):
    """Posts."""

    name = "blog"
    default_auto_field = "django.db.models.BigAutoField"
