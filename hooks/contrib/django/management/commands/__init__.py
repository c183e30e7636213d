"""`manage.py hooks_relay`."""
