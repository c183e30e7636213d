"""Integrations with web frameworks, each an optional extra: `hooks.contrib.django` (`pip install hooks-webhooks[django]`)."""
