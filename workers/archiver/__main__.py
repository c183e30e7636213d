"""`python -m workers.archiver`: the same as `hooks archiver`."""

import sys

from workers.run import archiver

sys.exit(archiver())
