"""The SQLAlchemy URL manage.py hooks_relay makes of a Django DATABASES entry (hooks.contrib.django.dburl)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from hooks.contrib.django.dburl import sqlalchemy_url
from hooks.errors import ConfigurationError

PG = "django.db.backends.postgresql"


def test_postgresql_becomes_a_psycopg_url_with_every_part() -> None:
    database = {"ENGINE": PG, "NAME": "shop", "USER": "app", "PASSWORD": "s3cret", "HOST": "db.internal", "PORT": 5433}

    assert sqlalchemy_url("default", database) == "postgresql+psycopg://app:s3cret@db.internal:5433/shop"


def test_a_password_with_url_characters_survives_the_trip() -> None:
    url = sqlalchemy_url(
        "default", {"ENGINE": PG, "NAME": "shop", "USER": "app", "PASSWORD": "p@ss:w/rd?#", "HOST": "h"}
    )

    assert make_url(url).password == "p@ss:w/rd?#"


def test_empty_parts_are_left_to_libpq_s_defaults() -> None:
    url = sqlalchemy_url("default", {"ENGINE": PG, "NAME": "shop", "USER": "", "PASSWORD": "", "HOST": "", "PORT": ""})

    assert url == "postgresql+psycopg:///shop"


def test_a_unix_socket_directory_goes_in_the_host_parameter() -> None:
    url = make_url(sqlalchemy_url("default", {"ENGINE": PG, "NAME": "shop", "HOST": "/var/run/postgresql"}))

    assert (url.host, url.query["host"]) == (None, "/var/run/postgresql")


def test_libpq_options_are_kept_and_django_s_own_left_behind() -> None:
    database = {"ENGINE": PG, "NAME": "shop", "HOST": "h", "OPTIONS": {"sslmode": "require", "pool": True}}

    assert dict(make_url(sqlalchemy_url("default", database)).query) == {"sslmode": "require"}


def test_postgis_is_postgresql() -> None:
    url = sqlalchemy_url("default", {"ENGINE": "django.contrib.gis.db.backends.postgis", "NAME": "geo", "HOST": "h"})

    assert url == "postgresql+psycopg://h/geo"


@pytest.mark.parametrize(
    ("name", "url"), [("/srv/app/db.sqlite3", "sqlite:////srv/app/db.sqlite3"), ("db.sqlite3", "sqlite:///db.sqlite3")]
)
def test_sqlite_becomes_a_file_url(name: str, url: str) -> None:
    assert sqlalchemy_url("default", {"ENGINE": "django.db.backends.sqlite3", "NAME": name}) == url


@pytest.mark.parametrize("name", [":memory:", "", "file:memdb1?mode=memory&cache=shared"])
def test_an_in_memory_sqlite_database_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^DATABASES\['default'\]\['NAME'\]: an in-memory SQLite database"):
        sqlalchemy_url("default", {"ENGINE": "django.db.backends.sqlite3", "NAME": name})


def test_another_engine_is_refused_naming_the_alias_and_what_to_run_instead() -> None:
    with pytest.raises(ConfigurationError, match=r"^DATABASES\['orders'\]\['ENGINE'\]: django.db.backends.mysql is "):
        sqlalchemy_url("orders", {"ENGINE": "django.db.backends.mysql", "NAME": "orders"})


def test_a_port_that_is_not_a_number_is_refused_naming_it() -> None:
    with pytest.raises(ConfigurationError, match=r"^DATABASES\['default'\]\['PORT'\]: expected a port number"):
        sqlalchemy_url("default", {"ENGINE": PG, "NAME": "shop", "PORT": "fivefourthreetwo"})
