"""The outbox tables' Django migrations (the same tables as hooks/outbox/migrations for other apps)."""
