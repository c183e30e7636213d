"""config/hooks.env.example names every variable the product reads, only those, and is a valid production env."""

from __future__ import annotations

import re

import pytest
from flower.options import options as flower_options
from honcho.environ import parse as honcho_parse

from hooks.settings import Settings, env_var
from tests.support.config_files import ENV_EXAMPLE, ROOT, read_env_file
from workers.flower import flower_argv

ENV = read_env_file(ENV_EXAMPLE)
FIELDS = list(Settings.model_fields)
SETTINGS_VARS = [env_var(name) for name in FIELDS]
_READ_IN_CODE = re.compile(r"""(?:environ(?:\.get)?|getenv)\s*[(\[]\s*["']([A-Z][A-Z0-9_]*)["']""")
_READ_IN_PROCFILE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


def read_outside_settings() -> set[str]:
    """Variables the processes read themselves: product modules (not hooks/local, the demo's) and the Procfile."""
    sources = [p for top in ("hooks", "workers") for p in (ROOT / top).rglob("*.py") if "local" not in p.parts]
    names = {name for path in sources for name in _READ_IN_CODE.findall(path.read_text())}
    return names | set(_READ_IN_PROCFILE.findall((ROOT / "Procfile").read_text()))


def is_flower_option(name: str) -> bool:
    """Flower reads FLOWER_<option> for each of its options itself."""
    return name.startswith("FLOWER_") and name.removeprefix("FLOWER_").lower() in flower_options


def test_every_setting_is_in_the_file():
    assert [var for var in SETTINGS_VARS if var not in ENV.order] == []


def test_every_variable_read_outside_the_settings_is_in_the_file():
    assert sorted(read_outside_settings() - set(ENV.order) - set(SETTINGS_VARS)) == []


def test_the_file_names_no_variable_that_nothing_reads():
    read = set(SETTINGS_VARS) | read_outside_settings()
    assert [name for name in ENV.order if name not in read and not is_flower_option(name)] == []


def test_each_variable_appears_once_grouped_in_the_order_of_the_settings():
    assert len(ENV.order) == len(set(ENV.order))
    assert [name for name in ENV.order if name in SETTINGS_VARS] == SETTINGS_VARS
    assert all(name.startswith("FLOWER_") for name in ENV.order[len(SETTINGS_VARS) :])


def test_each_variable_has_a_comment_above_it():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#?[A-Z][A-Z0-9_]*=", line):
            assert lines[i - 1].startswith("# "), f"no comment above {line!r}"


def test_the_active_lines_read_the_same_in_a_shell_honcho_systemd_and_docker():
    # plain NAME=value: no quotes, no spaces, no $ (docker's --env-file takes quotes literally)
    assert {k: v for k, v in ENV.active.items() if re.search(r"[\s'\"$\\]", v)} == {}
    assert honcho_parse(ENV_EXAMPLE.read_text()) == ENV.active


def test_the_file_loaded_as_the_environment_is_valid_and_production_minded():
    settings = Settings.from_env(ENV.active)
    assert settings.database_url and settings.require_https and not settings.allow_private_networks
    assert settings.api_host in ("127.0.0.1", "::1", "localhost")
    assert flower_argv([], ENV.active)[:3] == ["celery", "-A", "workers.app"]  # FLOWER_BASIC_AUTH is acceptable


@pytest.mark.parametrize("name", [f for f in FIELDS if env_var(f) in ENV.commented])
def test_a_commented_line_shows_the_default_or_a_valid_example(name: str):
    value = ENV.commented[env_var(name)]
    default = Settings.model_fields[name].default
    parsed = getattr(Settings.from_env({env_var(name): value}), name)  # raises if the example is not valid
    if default not in (None, ""):
        assert parsed == default, f"{env_var(name)}={value} but the default is {default!r}"


def test_every_commented_line_uncommented_at_once_is_still_valid():
    Settings.from_env({**ENV.active, **ENV.commented})
