"""`manage.py hooks_relay`: the relay of `hooks relay`, on the project's own database.

The database is `DATABASES[HOOKS_OUTBOX_DATABASE]` (or `--database`), turned into the SQLAlchemy URL the relay takes
(hooks/contrib/django/dburl.py); the settings are the project's (settings.HOOKS over the environment). It waits for
the database and its tables, then moves committed events to Redis until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings as django_settings
from django.core.management.base import BaseCommand, CommandError

from hooks.contrib.django import conf
from hooks.contrib.django.dburl import sqlalchemy_url
from hooks.errors import ConfigurationError
from hooks.outbox.relay import serve
from hooks.outbox.schema import make_outbox_engine
from hooks.settings import Settings


class Command(BaseCommand):
    """Relay the project's outbox to Redis until stopped."""

    help = "Move committed events from the project's outbox table (hooks_outbox) to Redis, until SIGTERM or Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        """--database and --batch."""
        parser.add_argument(
            "--database", help="the DATABASES alias holding the outbox (default: HOOKS['HOOKS_OUTBOX_DATABASE'])"
        )
        parser.add_argument("--batch", type=int, help="rows published per Redis call (default: HOOKS_OUTBOX_BATCH)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Relay until a signal stops it; raises CommandError with the one line of a bad setting or missing table."""
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if not logging.getLogger().handlers:  # the project's LOGGING says nothing of the root: say what we do
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            config = conf.current()
            alias = options["database"] or config.outbox_database
            if alias not in django_settings.DATABASES:
                source = "--database" if options["database"] else f"HOOKS[{conf.OUTBOX_DATABASE!r}]"
                raise ConfigurationError(f"{source}: the database {alias!r} is not in DATABASES.")
            url = sqlalchemy_url(alias, django_settings.DATABASES[alias])
            serve(_with_batch(config, options["batch"]), make_outbox_engine(url), stop)
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None


def _with_batch(config: conf.DjangoHooks, batch: int | None) -> Settings:
    """The project's settings, with --batch in place of HOOKS_OUTBOX_BATCH; raises ConfigurationError naming it."""
    if batch is None:
        return config.settings
    try:
        return Settings.from_env({**config.environ, "HOOKS_OUTBOX_BATCH": str(batch)})
    except ConfigurationError as exc:
        raise ConfigurationError(str(exc).replace("HOOKS_OUTBOX_BATCH", "--batch", 1)) from None
