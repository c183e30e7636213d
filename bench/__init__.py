"""The benchmark of issue 5: ours beside a plain-Celery baseline, on private processes on 127.0.0.1.

Run `python -m bench` (or `python bench/run.py`); `--quick` for tiny numbers, `--runs 3` for medians.
"""
