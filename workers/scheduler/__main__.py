"""`python -m workers.scheduler`: run the scheduler process (workers/scheduler/loop.py)."""

import sys

from hooks.errors import HooksError
from workers.scheduler.loop import main

try:
    sys.exit(main())
except HooksError as exc:  # no database set, or its schema is old: one line that says what to do
    sys.exit(f"scheduler: {exc}")
