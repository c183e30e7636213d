"""Helpers the tests share, typed (not fixtures: those are in tests/conftest.py)."""
