"""`python -m workers.scheduler`: run the scheduler process (workers/scheduler/loop.py)."""

import sys

from workers.scheduler.loop import main

sys.exit(main())
