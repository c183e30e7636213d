"""`python -m bench.faults`: run the faults and print the Reliability table (bench/faults/run.py)."""

from bench.faults.run import main

raise SystemExit(main())
