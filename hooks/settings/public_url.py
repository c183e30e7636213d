"""HOOKS_API_PUBLIC_URL and HOOKS_API_FORWARDED_ALLOW_IPS: how the API knows the origin browsers use behind a proxy."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an origin such as https://hooks.example.com; raises ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError("must be an origin such as https://hooks.example.com (http or https, a host, a port)")
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be an origin only (scheme://host[:port]): no user, path, query or fragment")
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def check_forwarded_ips(value: str) -> str:
    """`value` if it is `*` or comma-separated IP addresses or networks (uvicorn's forwarded_allow_ips); raises
    ValueError naming the bad entry."""
    for entry in (e.strip() for e in value.split(",")):
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry[:40]!r} is not an IP address, a network (CIDR) or *") from None
    return value
