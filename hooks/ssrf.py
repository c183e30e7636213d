"""SSRF guard: parse webhook URLs, classify addresses, resolve names with every answer checked (standard library only).

The caller connects only to the addresses ``resolve_checked`` returns (pinning), so a name cannot be re-resolved.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import quote

from hooks.errors import BlockedAddressError, ValidationError

__all__ = [
    "Resolver",
    "Target",
    "blocked_reason",
    "check_address",
    "parse_url",
    "resolve_checked",
    "system_resolver",
]

_IP: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
_Net: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver: TypeAlias = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_PORT_RE = re.compile(r"[0-9]+")
_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_IPV4_PART_RE = re.compile(r"0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*")  # the inet_aton(3) grammar of one part
_NUMERIC_LABEL_RE = re.compile(r"0x[0-9a-f]*|[0-9]+")  # a last label like this means "meant as IPv4"
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"})
_ASCII_FORBIDDEN_RE = re.compile(r"[\x00-\x20\x7f]")  # the same rule for ASCII (controls and space), as one regex


def _has_forbidden(url: str) -> bool:
    return any(c.isspace() or unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in url)


@dataclass(frozen=True)
class Target:
    """A parsed webhook URL: scheme, normalised host, port and request path (query kept out of repr)."""

    scheme: str
    host: str
    port: int
    path: str = field(repr=False)
    ip_literal: _IP | None


def parse_url(url: str, *, require_https: bool = False) -> Target:
    """Parse and normalise a webhook URL; raises ValidationError (naming ``url``) when it is malformed or unsafe.

    Pure, so cached: every attempt parses its webhook's URL, and a character-by-character check is not free.
    """
    if not isinstance(url, str):
        raise ValidationError("url: must be a string")
    return _parse_url(url, require_https)


@functools.lru_cache(maxsize=16384)
def _parse_url(url: str, require_https: bool) -> Target:
    if not url:
        raise ValidationError("url: must not be empty")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"url: must be at most {MAX_URL_LENGTH} characters long")
    if _ASCII_FORBIDDEN_RE.search(url) if url.isascii() else _has_forbidden(url):
        raise ValidationError("url: must not contain whitespace or control characters")
    match = _SCHEME_RE.match(url)
    allowed = ("https",) if require_https else ("http", "https")
    if match is None or match.group(1).lower() not in allowed:
        if require_https and match is not None and match.group(1).lower() == "http":
            raise ValidationError("url: scheme must be https (set HOOKS_REQUIRE_HTTPS=false to allow http)")
        raise ValidationError("url: scheme must be " + " or ".join(allowed))
    scheme = match.group(1).lower()
    rest = url[match.end() :].partition("#")[0]
    if not rest.startswith("//"):
        raise ValidationError("url: must be an absolute URL with a host, such as https://example.com/hook")
    rest = rest[2:]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    if "@" in authority:
        raise ValidationError("url: credentials (user:password@) are not allowed in the URL")
    host, ip_literal, port_text = _split_authority(authority)
    path = path if path.startswith("/") else "/" + path
    path = "".join(c if c.isascii() else quote(c, safe="") for c in path)
    return Target(scheme, host, _parse_port(port_text, scheme), path, ip_literal)


def _split_authority(authority: str) -> tuple[str, _IP | None, str]:
    if authority.startswith("["):
        inside, bracket, after = authority[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ValidationError("url: IPv6 host must be written as [address] optionally followed by :port")
        if "%" in inside:
            raise ValidationError("url: IPv6 zone identifiers are not allowed in the host")
        try:
            ip6 = ipaddress.IPv6Address(inside)
        except ValueError:
            raise ValidationError(f"url: host [{inside}] is not a valid IPv6 address") from None
        return str(ip6), ip6, after[1:]
    raw, _, port_text = authority.partition(":")
    host, ip4 = _normalise_host(raw)
    return host, ip4, port_text


def _normalise_host(raw: str) -> tuple[str, ipaddress.IPv4Address | None]:
    host = raw.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ValidationError("url: host is not a valid internationalised domain name") from None
    host = host.removesuffix(".")
    if not host:
        raise ValidationError("url: must include a host")
    ip4 = _parse_ipv4(host)
    if ip4 is not None:
        return str(ip4), ip4
    labels = host.split(".")
    if _NUMERIC_LABEL_RE.fullmatch(labels[-1]):
        raise ValidationError(f"url: host {host} looks like an IPv4 address but is not a valid one")
    if len(host) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise ValidationError(f"url: host {host} is not a valid hostname")
    return host, None


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The inet_aton(3) reading of host (1-4 decimal/octal/hex parts), or None when host is not in that grammar."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART_RE.fullmatch(p) for p in parts):
        return None
    values = [int(p, 16) if p.startswith("0x") else int(p, 8 if p.startswith("0") else 10) for p in parts]
    *head, last = values
    if any(v > 255 for v in head) or last >= 1 << (8 * (5 - len(values))):
        return None
    return ipaddress.IPv4Address(sum(v << (8 * (3 - i)) for i, v in enumerate(head)) + last)


def _parse_port(text: str, scheme: str) -> int:
    if not text:
        return _DEFAULT_PORTS[scheme]
    port = int(text) if _PORT_RE.fullmatch(text) and len(text) <= 5 else 0
    if not 1 <= port <= 65535:
        raise ValidationError("url: port must be a number from 1 to 65535")
    return port


def _table(*rows: tuple[str, str]) -> tuple[tuple[_Net, str], ...]:
    return tuple((ipaddress.ip_network(cidr), reason) for cidrs, reason in rows for cidr in cidrs.split())


# Checked first so that allow_private never opens them: AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Oracle.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
_V4_TABLE = _table(  # 192.0.0.0/24: IETF protocol assignments; 192.88.99.0/24: deprecated 6to4 relay anycast
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8 172.16.0.0/12 192.168.0.0/16", "private"),
    ("100.64.0.0/10", "shared"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link_local"),
    ("192.0.2.0/24 198.51.100.0/24 203.0.113.0/24", "documentation"),
    ("198.18.0.0/15", "benchmarking"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("192.0.0.0/24 192.88.99.0/24 240.0.0.0/4", "reserved"),
)
_V6_TABLE = _table(  # 100::/64: discard-only; 2001:10::/28, 2001:20::/28: ORCHID(v2); fec0::/10: old site-local
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("2001:2::/48", "benchmarking"),
    ("2001:db8::/32 3fff::/20", "documentation"),
    ("fc00::/7 fec0::/10", "private"),
    ("fe80::/10", "link_local"),
    ("ff00::/8", "multicast"),
    ("100::/64 2001:10::/28 2001:20::/28", "reserved"),
)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_LOW32 = tuple(map(ipaddress.IPv6Network, ("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96")))  # mapped, SIIT, NAT64
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[list[ipaddress.IPv4Address], str | None] | None:
    """IPv4 addresses an IPv6 address reaches, and the reason to use when they are all public; None if none."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in net for net in _LOW32):
        return [low32], None
    if ip in _COMPATIBLE:
        return [low32], "reserved"  # deprecated IPv4-compatible form; never routable
    if ip in _NAT64_LOCAL:  # local-use: any RFC 6052 prefix length >= 48 fits when the bits after it are zero
        packed = ip.packed[:8] + ip.packed[9:]  # bits 64-71 (the "u" octet) never carry IPv4 bits
        cut = {n: ipaddress.IPv4Address(packed[n // 8 : n // 8 + 4]) for n in (48, 56, 64)}
        fits = [v4 for n, v4 in cut.items() if v4 in _METADATA or not any(packed[n // 8 + 4 :])]
        return fits + ([low32] if int(low32) else []), None
    if ip.sixtofour is not None:
        return [ip.sixtofour], None
    if ip.teredo is not None:
        server, client = ip.teredo
        return [client, server], None
    return None


def _lookup(table: tuple[tuple[_Net, str], ...], ip: _IP) -> str | None:
    return next((reason for net, reason in table if ip in net), None)


def blocked_reason(ip: _IP) -> str | None:
    """Why an address is refused ("private", "metadata", ...) or None if public; raises TypeError for a non-address."""
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ipaddress.IPv6Address(int(ip))  # drop any %scope
    elif not isinstance(ip, ipaddress.IPv4Address):
        raise TypeError(f"expected an IPv4Address or IPv6Address, got {type(ip).__name__}")
    if ip in _METADATA:
        return "metadata"
    if isinstance(ip, ipaddress.IPv4Address):
        return _lookup(_V4_TABLE, ip)
    reason = _lookup(_V6_TABLE, ip)
    if reason is not None:
        return reason
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        candidates, fallback = embedded
        reasons = [r for r in map(blocked_reason, candidates) if r is not None]
        return "metadata" if "metadata" in reasons else reasons[0] if reasons else fallback
    return None if ip in _GLOBAL_UNICAST else "reserved"


_DESCRIPTIONS = {
    "loopback": ("a loopback address", "loopback addresses"),
    "private": ("a private address", "private networks"),
    "link_local": ("a link-local address", "link-local networks"),
    "shared": ("a shared (carrier-grade NAT) address", "shared address space"),
    "multicast": ("a multicast address", "multicast addresses"),
    "unspecified": ("an unspecified address", "unspecified addresses"),
    "reserved": ("a reserved address", "reserved addresses"),
    "documentation": ("a documentation address", "documentation networks"),
    "benchmarking": ("a benchmarking address", "benchmarking networks"),
    "broadcast": ("a broadcast address", "broadcast addresses"),
    "metadata": ("a cloud metadata address", "cloud metadata endpoints"),
}
_HINT = "set HOOKS_ALLOW_PRIVATE_NETWORKS=true or add it to HOOKS_ALLOWED_NETWORKS"
_METADATA_HINT = "even with HOOKS_ALLOW_PRIVATE_NETWORKS; add it to HOOKS_ALLOWED_NETWORKS only if this is intended"


def _check(ip: _IP, allow_private: bool, allowed_networks: Sequence[_Net], subject: str, name: str | None) -> None:
    reason = blocked_reason(ip)
    if reason is None or (allow_private and reason != "metadata"):
        return
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if any(ip in net or (mapped is not None and mapped in net) for net in allowed_networks):
        return
    what, where = _DESCRIPTIONS[reason]
    clause = f"{subject} {ip} is {what}" if name is None else f"host {name} resolves to {ip}, which is {what},"
    hint = _METADATA_HINT if reason == "metadata" else _HINT
    raise BlockedAddressError(
        f"url: {clause} and delivering to {where} is not allowed ({hint})", address=str(ip), reason=reason
    )


def check_address(ip: _IP, *, allow_private: bool, allowed_networks: Sequence[_Net] = ()) -> None:
    """Accept a public, private-but-allowed or allow-listed address; raises BlockedAddressError otherwise."""
    _check(ip, allow_private, allowed_networks, "address", None)


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve host with getaddrinfo (TCP), deduplicated in answer order; raises socket.gaierror/OSError as is."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    families = (socket.AF_INET, socket.AF_INET6)
    return list(dict.fromkeys(str(info[4][0]) for info in infos if info[0] in families))


def resolve_checked(
    target: Target,
    *,
    allow_private: bool,
    allowed_networks: Sequence[_Net] = (),
    resolver: Resolver = system_resolver,
) -> list[_IP]:
    """Resolve and check every answer, kept in order; raises BlockedAddressError if any is refused, OSError if none."""
    if target.ip_literal is not None:
        _check(target.ip_literal, allow_private, allowed_networks, "host", None)
        return [target.ip_literal]
    addresses: list[_IP] = []
    for text in resolver(target.host, target.port):
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            raise socket.gaierror(socket.EAI_FAIL, f"url: host {target.host} resolved to an invalid address") from None
        _check(ip, allow_private, allowed_networks, "host", target.host)
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"url: host {target.host} did not resolve to any address")
    return addresses
