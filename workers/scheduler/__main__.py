"""`python -m workers.scheduler`: the same as `hooks scheduler`."""

import sys

from workers.run import scheduler

sys.exit(scheduler())
