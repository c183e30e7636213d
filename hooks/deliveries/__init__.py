"""Operators' view of deliveries: list and show them with their attempts, and work the dead-letter queue."""
