"""Flower refuses to start open unless told so explicitly, and keeps credentials off its command line."""

import pytest

from workers.flower import flower_argv


def test_without_credentials_flower_refuses_to_start():
    with pytest.raises(SystemExit, match="FLOWER_BASIC_AUTH"):
        flower_argv([], {})


def test_with_credentials_they_stay_out_of_the_command_line():
    argv = flower_argv(["--port=5555"], {"FLOWER_BASIC_AUTH": "admin:long-password"})
    assert "long-password" not in " ".join(argv) and "--port=5555" in argv


def test_a_weak_password_is_refused():
    with pytest.raises(SystemExit, match="8"):
        flower_argv([], {"FLOWER_BASIC_AUTH": "admin:short"})


def test_running_open_needs_an_explicit_yes():
    assert flower_argv([], {"FLOWER_UNAUTHENTICATED": "true"})[-1] == "flower"
