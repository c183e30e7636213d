"""The archiver process (`python -m workers.archiver`): finished records from the Redis stream into PostgreSQL."""
