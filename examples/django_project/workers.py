"""This project's own background jobs, where an RQ or Celery project keeps them: `workers.py` at its root.

Its name is the one of the engine of hooks (the `workers` package installed beside `hooks`). `hooks worker`, run from
this folder, still loads its own engine, never this module: the tests start it here to show it.
"""


def count_words(text: str) -> int:
    """A job of this project's own (say, run by RQ after a post is saved)."""
    return len(text.split())
