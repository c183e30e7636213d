"""settings.HOOKS over the environment (hooks.contrib.django.conf) and what the system check says of it; pure, no
Django project loaded."""

from __future__ import annotations

import pytest

from hooks.contrib.django.checks import problems
from hooks.contrib.django.conf import hooks_values, load
from hooks.errors import ConfigurationError

REDIS = {"REDIS_URL": "redis://cache:6379/0"}
DATABASES: dict[str, object] = {"default": {}}


def test_a_hooks_key_wins_over_the_environment_variable_of_the_same_name() -> None:
    config = load({"REDIS_URL": "redis://django:6379/1"}, {"REDIS_URL": "redis://env:6379/0"})

    assert config.settings.redis_url == "redis://django:6379/1"


def test_what_hooks_leaves_out_comes_from_the_environment() -> None:
    config = load({"HOOKS_MAX_EVENT_BYTES": 100_000}, {**REDIS, "HOOKS_PUBLISH_TIMEOUT_S": "1.5"})

    assert (config.settings.redis_url, config.settings.publish_timeout_s) == (REDIS["REDIS_URL"], 1.5)


@pytest.mark.parametrize(
    ("value", "text"), [(100_000, "100000"), (2.5, "2.5"), (True, "true"), (False, "false"), ("x", "x"), (None, "")]
)
def test_values_become_the_strings_the_environment_would_hold(value: object, text: str) -> None:
    assert hooks_values({"HOOKS_KEY_PREFIX": value}) == {"HOOKS_KEY_PREFIX": text}


def test_none_means_the_default_even_where_the_environment_sets_the_variable() -> None:
    config = load({"HOOKS_MAX_EVENT_BYTES": None}, {"HOOKS_MAX_EVENT_BYTES": "2048"})

    assert config.settings.max_event_bytes == 256 * 1024


def test_the_outbox_database_is_default_unless_hooks_names_one() -> None:
    assert load({}, {}).outbox_database == "default"
    assert load({"HOOKS_OUTBOX_DATABASE": "events"}, {}).outbox_database == "events"


def test_the_outbox_database_is_django_s_own_key_not_read_from_the_environment() -> None:
    assert load({}, {"HOOKS_OUTBOX_DATABASE": "events"}).outbox_database == "default"


def test_no_hooks_setting_at_all_is_the_environment_alone() -> None:
    assert load(None, REDIS).settings.redis_url == REDIS["REDIS_URL"]


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("HOOKS_MAX_EVENT_BYTE", "HOOKS_MAX_EVENT_BYTES"),
        ("MAX_EVENT_BYTES", "HOOKS_MAX_EVENT_BYTES"),
        ("redis_url", "REDIS_URL"),
    ],
)
def test_an_unknown_key_is_refused_with_the_likely_one(key: str, suggestion: str) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"^HOOKS\['{key}'\]: not a hooks setting \(did you mean {suggestion}\?\)\.$"
    ):
        hooks_values({key: 1})


def test_hooks_that_is_not_a_dict_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"^HOOKS: expected a dict .*, got str\.$"):
        hooks_values("redis://cache:6379/0")


def test_a_value_of_another_type_is_refused_naming_its_key() -> None:
    with pytest.raises(
        ConfigurationError, match=r"^HOOKS\['HOOKS_ALLOWED_NETWORKS'\]: expected a string, .* got list\.$"
    ):
        hooks_values({"HOOKS_ALLOWED_NETWORKS": ["10.0.0.0/8"]})


def test_a_bad_value_raises_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"^HOOKS_MAX_EVENT_BYTES: "):
        load({"HOOKS_MAX_EVENT_BYTES": "lots"}, {})


def test_the_check_is_quiet_on_good_settings() -> None:
    assert problems(REDIS, {}, DATABASES) == []


@pytest.mark.parametrize(
    ("raw", "environ", "databases", "code", "says"),
    [
        ({"REDIS_URL": "http://cache"}, {}, DATABASES, "hooks.E001", "REDIS_URL: must start with redis://"),
        ({}, {"HOOKS_MAX_EVENT_BYTES": "lots"}, DATABASES, "hooks.E001", "HOOKS_MAX_EVENT_BYTES: "),
        ([], {}, DATABASES, "hooks.E002", "HOOKS: expected a dict"),
        ({"NOPE": 1}, {}, DATABASES, "hooks.E002", "HOOKS['NOPE']: not a hooks setting"),
        ({**REDIS, "HOOKS_OUTBOX_DATABASE": "events"}, {}, DATABASES, "hooks.E003", "'events' is not in DATABASES"),
        ({}, {}, DATABASES, "hooks.W001", "REDIS_URL is set neither in settings.HOOKS nor in the environment"),
    ],
)
def test_the_check_names_what_is_wrong(
    raw: object, environ: dict[str, str], databases: dict[str, object], code: str, says: str
) -> None:
    (message,) = problems(raw, environ, databases)

    assert message.id == code
    assert says in message.msg
    assert message.hint


def test_redis_url_from_the_environment_silences_the_warning() -> None:
    assert problems({}, REDIS, DATABASES) == []
