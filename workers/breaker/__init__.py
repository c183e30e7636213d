"""The circuit breaker per webhook: count failures, open, probe after a cool-down, disable what fails for days."""
