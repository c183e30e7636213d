"""The delivery history in PostgreSQL: events, deliveries, attempts and the dead-letter queue, by day partition."""
