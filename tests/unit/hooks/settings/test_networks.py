"""`HOOKS_ALLOWED_NETWORKS` is read as CIDRs; a bad one is refused at start-up, naming the variable."""

import ipaddress

import pytest

from hooks.settings import ConfigurationError, Settings
from hooks.settings.networks import parse_networks


@pytest.mark.parametrize("text", ["10.0.0.0/8, fd00::/8", "10.0.0.0/8 fd00::/8", " 10.0.0.0/8,\n fd00::/8 ,"])
def test_parse_networks_accepts_comma_or_whitespace_separated_cidrs(text: str) -> None:
    assert parse_networks(text) == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize("text", ["", "  ", ","])
def test_parse_networks_of_empty_text_is_empty(text: str) -> None:
    assert parse_networks(text) == ()


def test_parse_networks_reads_a_bare_address_as_a_single_host_network() -> None:
    assert parse_networks("10.0.0.5") == (ipaddress.ip_network("10.0.0.5/32"),)


@pytest.mark.parametrize("text", ["10.0.0.0/33", "banana", "10.0.0.0/8, 300.0.0.0/8", "10.0.0.1/8"])
def test_a_bad_cidr_is_refused_at_start_up_naming_the_setting(text: str) -> None:
    with pytest.raises(ConfigurationError, match="^HOOKS_ALLOWED_NETWORKS: .* is not a valid network"):
        Settings.from_env({"HOOKS_ALLOWED_NETWORKS": text})


def test_parse_networks_suggests_the_network_when_host_bits_are_set() -> None:
    with pytest.raises(ValueError, match="did you mean 10.0.0.0/8"):
        parse_networks("10.0.0.1/8")


def test_the_settings_carry_the_parsed_networks() -> None:
    s = Settings.from_env({"HOOKS_ALLOWED_NETWORKS": "10.20.0.0/16,fd12::/16"})
    assert s.networks == (ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("fd12::/16"))
