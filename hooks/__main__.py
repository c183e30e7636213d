"""`python -m hooks`: the `hooks` command."""

import sys

from hooks.cli import main

sys.exit(main())
