"""Integration tests of the PostgreSQL history (hooks.history), against a private PostgreSQL."""
