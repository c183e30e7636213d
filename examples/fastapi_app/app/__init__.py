"""A small FastAPI shop that announces its orders as webhooks: the outbox on a SQLAlchemy 2 session."""
