"""The Django app's management commands."""
