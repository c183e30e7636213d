"""What the system's things are: events, webhooks, deliveries, their ids, and the rules their fields follow."""
