"""Settings come from the environment only, and a bad value names its variable."""

import pytest

from hooks.errors import ConfigurationError
from hooks.settings import Settings


def test_defaults_are_safe_for_production():
    s = Settings.from_env({})
    assert s.require_https and not s.allow_private_networks
    assert (s.connect_timeout_s, s.request_timeout_s, s.max_attempts, s.retention_days) == (5, 15, 9, 30)


def test_variables_are_read_and_typed():
    s = Settings.from_env(
        {"REDIS_URL": "redis://h:1/2", "HOOKS_RETRY_BASE_S": "0.25", "HOOKS_ALLOW_PRIVATE_NETWORKS": "yes"}
    )
    assert s.redis_url == "redis://h:1/2" and s.retry_base_s == 0.25 and s.allow_private_networks


@pytest.mark.parametrize(
    ("env", "var"),
    [
        ({"HOOKS_MAX_ATTEMPTS": "zero"}, "HOOKS_MAX_ATTEMPTS"),
        ({"HOOKS_MAX_ATTEMPTS": "0"}, "HOOKS_MAX_ATTEMPTS"),
        ({"HOOKS_RETRY_JITTER": "1.5"}, "HOOKS_RETRY_JITTER"),
        ({"HOOKS_REQUIRE_HTTPS": "maybe"}, "HOOKS_REQUIRE_HTTPS"),
        ({"HOOKS_KEY_PREFIX": "has space"}, "HOOKS_KEY_PREFIX"),
    ],
)
def test_a_bad_value_names_the_variable(env, var):
    with pytest.raises(ConfigurationError, match=var):
        Settings.from_env(env)
