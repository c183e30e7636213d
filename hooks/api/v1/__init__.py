"""The `/v1` API: one router per resource (webhooks, events, deliveries, dlq, stats), schemas beside them."""
