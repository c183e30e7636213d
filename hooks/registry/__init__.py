"""Webhooks: register and manage them (`webhooks`), the index that resolves an event to its subscribers
(`index`, `resolve`, `matching`), and their health as operators see it (`health`)."""
