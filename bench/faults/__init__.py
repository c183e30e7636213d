"""The fault bench: every fault of the README's Reliability table, each on a private stack on 127.0.0.1.

`python -m bench.faults` runs them all (bounded, under 10 minutes on 2 cores) and prints the table; see
bench/faults/README.md for what each row does and how it is measured.
"""
