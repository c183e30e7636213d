"""Unit tests of the SSRF guard (hooks.ssrf): URL parsing, address classes, checking and pinned resolution."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks import ssrf
from hooks.errors import BlockedAddressError, ValidationError
from hooks.settings.networks import parse_networks
from hooks.ssrf import (
    Target,
    blocked_reason,
    check_address,
    parse_url,
    resolve_checked,
    system_resolver,
)

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
PUBLIC_V4 = "93.184.216.34"

# (expected reason, address): one row per address class, embedded IPv4 forms included.
BLOCKED = [
    ("loopback", "127.0.0.1"),
    ("loopback", "127.255.255.254"),
    ("loopback", "::1"),
    ("private", "10.0.0.1"),
    ("private", "172.16.0.1"),
    ("private", "172.31.255.254"),
    ("private", "192.168.1.1"),
    ("private", "fc00::1"),
    ("private", "fd12:3456::1"),
    ("private", "fec0::1"),
    ("link_local", "169.254.1.1"),
    ("link_local", "fe80::1"),
    ("shared", "100.64.0.1"),
    ("shared", "100.127.255.254"),
    ("multicast", "224.0.0.1"),
    ("multicast", "239.255.255.250"),
    ("multicast", "ff02::1"),
    ("unspecified", "0.0.0.0"),
    ("unspecified", "0.1.2.3"),
    ("unspecified", "::"),
    ("reserved", "240.0.0.1"),
    ("reserved", "192.0.0.8"),
    ("reserved", "100::1"),
    ("reserved", "2001:10::1"),
    ("reserved", "::8.8.8.8"),
    ("broadcast", "255.255.255.255"),
    ("documentation", "192.0.2.1"),
    ("documentation", "198.51.100.1"),
    ("documentation", "203.0.113.1"),
    ("documentation", "2001:db8::1"),
    ("benchmarking", "198.18.0.1"),
    ("benchmarking", "198.19.255.254"),
    ("metadata", "169.254.169.254"),
    ("metadata", "fd00:ec2::254"),
    ("loopback", "::ffff:127.0.0.1"),
    ("metadata", "::ffff:169.254.169.254"),
    ("private", "::10.0.0.1"),
    ("private", "2002:a00:1::"),
    ("loopback", "64:ff9b::127.0.0.1"),
    ("metadata", "64:ff9b::169.254.169.254"),
    ("private", "64:ff9b:1::10.0.0.1"),
    ("metadata", "64:ff9b:1:a9fe:a9:fe00::"),
    ("loopback", "2001:0:4136:e378:8000:63bf:80ff:fffe"),
]
BLOCKED_IDS = [f"{reason}-{address}" for reason, address in BLOCKED]
NOT_METADATA = [row for row in BLOCKED if row[0] != "metadata"]
METADATA = [address for reason, address in BLOCKED if reason == "metadata"]

PUBLIC = [
    PUBLIC_V4,
    "8.8.8.8",
    "2606:4700::1111",
    "::ffff:93.184.216.34",
    "2002:5db8:d822::",
    "64:ff9b::93.184.216.34",
    "64:ff9b:1::93.184.216.34",
]

LOOPBACK_TRICKS = [
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0X7F.0.0.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://127.0.0.1./",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",
]


def url_for(address: str) -> str:
    ip = ipaddress.ip_address(address)
    return f"http://[{ip}]/hook" if ip.version == 6 else f"http://{ip}/hook"


def answering(*addresses: str) -> ssrf.Resolver:
    def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"an IP literal must not be resolved (asked for {host})")


# --- address classes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "address"), BLOCKED, ids=BLOCKED_IDS)
def test_blocked_reason_names_the_class_of_each_blocked_address(reason: str, address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_blocked_reason_is_none_for_public_addresses(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("reason", "address"), BLOCKED, ids=BLOCKED_IDS)
def test_literal_url_in_each_blocked_class_is_refused(reason: str, address: str) -> None:
    target = parse_url(url_for(address))
    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked(target, allow_private=False, resolver=no_dns)
    assert caught.value.reason == reason
    assert caught.value.address == str(ipaddress.ip_address(address))


@pytest.mark.parametrize(("reason", "address"), BLOCKED, ids=BLOCKED_IDS)
def test_hostname_resolving_into_each_blocked_class_is_refused(reason: str, address: str) -> None:
    target = parse_url("https://hooks.example.com/in")
    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked(target, allow_private=False, resolver=answering(address))
    assert caught.value.reason == reason
    assert "hooks.example.com" in str(caught.value)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_literal_url_is_returned_without_resolving(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert resolve_checked(parse_url(url_for(address)), allow_private=False, resolver=no_dns) == [ip]


def test_scoped_link_local_answer_is_still_refused() -> None:
    target = parse_url("http://hooks.example.com/")
    with pytest.raises(BlockedAddressError, match="link-local"):
        resolve_checked(target, allow_private=False, resolver=answering("fe80::1%eth0"))


def test_blocked_reason_rejects_a_non_address() -> None:
    with pytest.raises(TypeError):
        blocked_reason("127.0.0.1")  # type: ignore[arg-type]


# --- literal tricks ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", LOOPBACK_TRICKS)
def test_ipv4_literal_tricks_parse_as_127_0_0_1(url: str) -> None:
    target = parse_url(url)
    assert target.ip_literal == LOOPBACK
    assert target.host == "127.0.0.1"


@pytest.mark.parametrize("url", [*LOOPBACK_TRICKS, "http://[::ffff:127.0.0.1]/", "http://[0:0:0:0:0:ffff:7f00:1]/"])
def test_literal_tricks_are_refused_as_loopback(url: str) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked(parse_url(url), allow_private=False, resolver=no_dns)
    assert caught.value.reason == "loopback"


def test_ipv4_mapped_literal_keeps_the_embedded_loopback_address() -> None:
    target = parse_url("http://[::ffff:127.0.0.1]/")
    assert isinstance(target.ip_literal, ipaddress.IPv6Address)
    assert target.ip_literal.ipv4_mapped == LOOPBACK
    assert target.host == "::ffff:7f00:1"


@pytest.mark.parametrize("url", ["http://1.2.3.example.com/", "http://0x7f.example.com/", "http://127.0.0.1.nip.io/"])
def test_numeric_leading_labels_still_make_a_hostname(url: str) -> None:
    target = parse_url(url)
    assert target.ip_literal is None
    assert target.host == url.removeprefix("http://").removesuffix("/")


@pytest.mark.parametrize(
    "url", ["http://256.0.0.1/", "http://1.2.3.4.5/", "http://08.0.0.1/", "http://0x/", "http://example.0x1/"]
)
def test_numeric_host_that_is_not_a_valid_ipv4_address_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="^url: host .* not a valid one$"):
        parse_url(url)


_IPV4_PART = st.one_of(
    st.integers(0, 2**32).map(str),
    st.integers(0, 2**32).map(lambda n: f"0{n:o}"),
    st.integers(0, 2**32).map(lambda n: f"0x{n:x}"),
    st.from_regex(r"0[xX][0-9a-fA-F]{0,3}", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compares with glibc inet_aton")
@given(st.lists(_IPV4_PART, min_size=1, max_size=5).map(".".join))
def test_numeric_hosts_are_read_exactly_as_inet_aton_reads_them(host: str) -> None:
    try:
        expected = ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        with pytest.raises(ValidationError):
            parse_url(f"http://{host}/")
    else:
        assert parse_url(f"http://{host}/").ip_literal == expected


# --- host normalisation and the rest of the URL ------------------------------------------------


def test_localhost_with_trailing_dot_is_normalised_to_localhost() -> None:
    target = parse_url("http://localhost./")
    assert (target.host, target.ip_literal) == ("localhost", None)


def test_uppercase_host_is_lowercased() -> None:
    assert parse_url("https://HOOKS.Example.COM/x").host == "hooks.example.com"


def test_internationalised_host_is_idna_encoded() -> None:
    assert parse_url("https://B\u00fccher.example/").host == "xn--bcher-kva.example"


def test_ipv6_literal_host_is_canonical_without_brackets() -> None:
    target = parse_url("https://[2606:4700:0:0:0:0:0:1111]:8443/")
    assert (target.host, target.port) == ("2606:4700::1111", 8443)
    assert target.ip_literal == ipaddress.IPv6Address("2606:4700::1111")


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://example.com/", 80),
        ("https://example.com/", 443),
        ("https://example.com:8443/", 8443),
        ("http://example.com:/", 80),
    ],
)
def test_port_is_explicit_or_the_scheme_default(url: str, port: int) -> None:
    assert parse_url(url).port == port


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://example.com", "/"),
        ("https://example.com?a=1", "/?a=1"),
        ("https://example.com/a/b?x=1&y=2", "/a/b?x=1&y=2"),
        ("https://example.com/a#frag", "/a"),
        ("https://example.com/caf\u00e9", "/caf%C3%A9"),
    ],
)
def test_path_keeps_the_query_and_drops_the_fragment(url: str, path: str) -> None:
    assert parse_url(url).path == path


def test_scheme_is_lowercased() -> None:
    assert parse_url("HTTPS://example.com/").scheme == "https"


def test_target_repr_hides_the_query_string() -> None:
    assert "s3cret" not in repr(parse_url("https://example.com/hook?token=s3cret"))


# --- parse_url refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("ftp://example.com/", id="ftp-scheme"),
        pytest.param("javascript:alert(1)", id="javascript-scheme"),
        pytest.param("example.com/hook", id="no-scheme"),
        pytest.param("https://user:pass@example.com/", id="user-password"),
        pytest.param("https://user@example.com/", id="user-only"),
        pytest.param("http://evil.com\\@example.com/", id="backslash-userinfo"),
        pytest.param("http:///hook", id="no-host"),
        pytest.param("http://", id="nothing-after-scheme"),
        pytest.param("http://:8080/", id="port-without-host"),
        pytest.param("http:example.com", id="no-slashes"),
        pytest.param("http://example.com:99999/", id="port-too-large"),
        pytest.param("http://example.com:0/", id="port-zero"),
        pytest.param("http://example.com:http/", id="port-not-a-number"),
        pytest.param("http://example.com:80:80/", id="two-ports"),
        pytest.param("http://exa mple.com/", id="space-in-host"),
        pytest.param("http://example.com/a b", id="space-in-path"),
        pytest.param("http://example.com/\r\nHost: evil", id="crlf"),
        pytest.param("http://example.com/\t", id="tab"),
        pytest.param(" http://example.com/", id="leading-space"),
        pytest.param("http://example.com/\x00", id="nul"),
        pytest.param("http://exa\u200bmple.com/", id="zero-width-space"),
        pytest.param("http://[::1/", id="unclosed-bracket"),
        pytest.param("http://[fe80::1%25eth0]/", id="ipv6-zone"),
        pytest.param("http://[not-ipv6]/", id="bad-ipv6"),
        pytest.param("http://[::1]x/", id="junk-after-bracket"),
        pytest.param("http://exa_mple..com/", id="empty-label"),
        pytest.param("http://-/", id="bad-label"),
        pytest.param("http://%31%32%37.0.0.1/", id="percent-encoded-host"),
        pytest.param("http://" + "a" * 64 + ".com/", id="label-too-long"),
        pytest.param("https://example.com/" + "a" * 2048, id="too-long"),
        pytest.param("", id="empty"),
    ],
)
def test_parse_url_refuses_malformed_or_unsafe_urls(url: str) -> None:
    with pytest.raises(ValidationError, match="^url: "):
        parse_url(url)


@pytest.mark.parametrize("value", [None, 42, b"https://example.com/"])
def test_parse_url_refuses_a_non_string(value: object) -> None:
    with pytest.raises(ValidationError, match="^url: must be a string$"):
        parse_url(value)  # type: ignore[arg-type]


def test_https_required_refuses_plain_http() -> None:
    with pytest.raises(
        ValidationError, match=r"^url: scheme must be https \(set HOOKS_REQUIRE_HTTPS=false to allow http\)$"
    ):
        parse_url("http://example.com/", require_https=True)


def test_https_required_accepts_https() -> None:
    assert parse_url("https://example.com/", require_https=True).scheme == "https"


def test_credentials_refusal_does_not_echo_the_password() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_url("https://admin:s3cret@example.com/")
    assert "s3cret" not in str(caught.value)


@given(st.text())
def test_parse_url_on_any_text_returns_a_target_or_raises_validation_error(text: str) -> None:
    with contextlib.suppress(ValidationError):
        assert isinstance(parse_url(text), Target)


@given(st.sampled_from(["http://", "https://", "HTTP://", "http:", "http://[", "http://a@"]), st.text())
def test_parse_url_on_any_url_shaped_text_returns_a_target_or_raises_validation_error(prefix: str, rest: str) -> None:
    with contextlib.suppress(ValidationError):
        assert isinstance(parse_url(prefix + rest), Target)


# --- allow-lists -------------------------------------------------------------------------------


def test_blocked_message_names_url_and_how_to_allow_it() -> None:
    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked(parse_url("http://10.0.0.1/hook?token=s3cret"), allow_private=False, resolver=no_dns)
    assert str(caught.value) == (
        "url: host 10.0.0.1 is a private address and delivering to private networks is not allowed "
        "(set HOOKS_ALLOW_PRIVATE_NETWORKS=true or add it to HOOKS_ALLOWED_NETWORKS)"
    )


def test_allowed_network_lets_a_blocked_literal_through() -> None:
    target = parse_url("http://10.1.2.3:8080/hook")
    allowed = parse_networks("10.0.0.0/8")
    assert resolve_checked(target, allow_private=False, allowed_networks=allowed, resolver=no_dns) == [
        ipaddress.IPv4Address("10.1.2.3")
    ]


def test_allowed_network_lets_a_resolved_blocked_address_through() -> None:
    target = parse_url("http://internal.example.com/")
    allowed = parse_networks("192.168.0.0/16")
    addresses = resolve_checked(
        target, allow_private=False, allowed_networks=allowed, resolver=answering("192.168.1.5")
    )
    assert addresses == [ipaddress.IPv4Address("192.168.1.5")]


def test_allowed_network_matches_the_ipv4_inside_a_mapped_address() -> None:
    check_address(
        ipaddress.ip_address("::ffff:10.0.0.1"), allow_private=False, allowed_networks=parse_networks("10.0.0.0/8")
    )


def test_allowed_network_does_not_let_other_addresses_through() -> None:
    with pytest.raises(BlockedAddressError):
        check_address(
            ipaddress.ip_address("10.0.0.1"), allow_private=False, allowed_networks=parse_networks("192.168.0.0/16")
        )


@pytest.mark.parametrize(("reason", "address"), NOT_METADATA, ids=[f"{r}-{a}" for r, a in NOT_METADATA])
def test_allow_private_lets_every_non_metadata_class_through(reason: str, address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert resolve_checked(parse_url(url_for(address)), allow_private=True, resolver=no_dns) == [ip]


@pytest.mark.parametrize("address", METADATA)
def test_allow_private_does_not_let_metadata_through(address: str) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        check_address(ipaddress.ip_address(address), allow_private=True)
    assert caught.value.reason == "metadata"


def test_allowed_network_lets_metadata_through() -> None:
    check_address(
        ipaddress.ip_address("169.254.169.254"),
        allow_private=False,
        allowed_networks=parse_networks("169.254.169.254/32"),
    )


def test_check_address_error_carries_address_and_reason() -> None:
    with pytest.raises(BlockedAddressError, match="^url: address 127.0.0.1 is a loopback address") as caught:
        check_address(ipaddress.ip_address("127.0.0.1"), allow_private=False)
    assert (caught.value.address, caught.value.reason) == ("127.0.0.1", "loopback")
    assert isinstance(caught.value, ValidationError)


def test_check_address_accepts_a_public_address() -> None:
    check_address(ipaddress.ip_address(PUBLIC_V4), allow_private=False)


# --- resolution and pinning --------------------------------------------------------------------


def test_name_answering_public_then_private_is_refused() -> None:
    target = parse_url("https://rebind.example.com/")
    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked(target, allow_private=False, resolver=answering(PUBLIC_V4, "10.0.0.1"))
    assert caught.value.address == "10.0.0.1"


def test_public_answer_is_returned_as_is() -> None:
    target = parse_url("https://example.com/")
    assert resolve_checked(target, allow_private=False, resolver=answering(PUBLIC_V4)) == [
        ipaddress.IPv4Address(PUBLIC_V4)
    ]


def test_public_answers_are_returned_in_resolver_order_without_duplicates() -> None:
    target = parse_url("https://example.com/")
    addresses = resolve_checked(
        target, allow_private=False, resolver=answering("2606:4700::1111", PUBLIC_V4, "2606:4700::1111")
    )
    assert addresses == [ipaddress.ip_address("2606:4700::1111"), ipaddress.ip_address(PUBLIC_V4)]


def test_resolver_is_asked_for_the_normalised_host_and_port() -> None:
    asked: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return [PUBLIC_V4]

    resolve_checked(parse_url("https://Example.COM.:8443/"), allow_private=False, resolver=resolver)
    assert asked == [("example.com", 8443)]


def test_empty_resolver_answer_raises_oserror() -> None:
    with pytest.raises(OSError, match="did not resolve"):
        resolve_checked(parse_url("https://example.com/"), allow_private=False, resolver=answering())


def test_invalid_resolver_answer_raises_oserror() -> None:
    with pytest.raises(OSError, match="invalid address"):
        resolve_checked(parse_url("https://example.com/"), allow_private=False, resolver=answering("not-an-ip"))


def test_resolver_failure_propagates_unchanged() -> None:
    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def failing(host: str, port: int) -> list[str]:
        raise error

    with pytest.raises(socket.gaierror) as caught:
        resolve_checked(parse_url("https://nowhere.example/"), allow_private=False, resolver=failing)
    assert caught.value is error


def test_system_resolver_deduplicates_getaddrinfo_answers_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    stream, tcp = socket.SOCK_STREAM, socket.IPPROTO_TCP
    answers: list[tuple[object, ...]] = [
        (socket.AF_INET6, stream, tcp, "", ("2606:4700::1111", 443, 0, 0)),
        (socket.AF_INET, stream, tcp, "", (PUBLIC_V4, 443)),
        (socket.AF_INET6, stream, tcp, "", ("2606:4700::1111", 443, 0, 0)),
    ]
    calls: list[tuple[object, ...]] = []

    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        calls.append((host, port, kwargs.get("type")))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    assert system_resolver("example.com", 443) == ["2606:4700::1111", PUBLIC_V4]
    assert calls == [("example.com", 443, socket.SOCK_STREAM)]


def test_system_resolver_lets_gaierror_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_getaddrinfo(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(socket.gaierror):
        system_resolver("nowhere.example", 80)
