"""`HOOKS_ALLOWED_NETWORKS`: the CIDRs the SSRF guard lets through even though they are not public."""

from __future__ import annotations

import ipaddress
import re
from typing import TypeAlias

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Parse comma/whitespace-separated CIDRs; raises ValueError naming the bad one (with a hint)."""
    if not isinstance(text, str):
        raise ValueError("must be a string of comma-separated networks")
    networks: list[Network] = []
    for item in filter(None, re.split(r"[,\s]+", text)):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError:
            try:
                hint = f" (did you mean {ipaddress.ip_network(item, strict=False)}?)"
            except ValueError:
                hint = " (for example 10.0.0.0/8 or fd00::/8)"
            raise ValueError(f"{item!r} is not a valid network in CIDR notation{hint}") from None
    return tuple(networks)
