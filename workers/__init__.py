"""What runs in worker processes: the Celery app and its tasks, the drain engine, one attempt, the breaker,
the retry schedule and the scheduler process. Imports `hooks`; `hooks` never imports this package."""
