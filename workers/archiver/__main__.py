"""`python -m workers.archiver`: run the archiver process (workers/archiver/archiver.py)."""

import sys

from hooks.errors import HooksError
from workers.archiver.archiver import main

try:
    sys.exit(main())
except HooksError as exc:  # no database set, or its schema is old: one line that says what to do
    sys.exit(f"archiver: {exc}")
