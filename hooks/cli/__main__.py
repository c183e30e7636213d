"""`python -m hooks.cli`: the `hooks` command."""

import sys

from hooks.cli import main

sys.exit(main())
