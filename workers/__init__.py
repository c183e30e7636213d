"""Celery side of the webhook system: the app, its thin tasks, and the retry scheduler."""
