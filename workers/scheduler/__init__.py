"""The scheduler process (`python -m workers.scheduler`): due retries, breaker probes, work of dead drains."""
