"""`HOOKS_EGRESS_PROXY_URL` and `HOOKS_EGRESS_NO_PROXY`, parsed: the proxy every attempt leaves through, and the
destinations that go direct. The workers' tunnel is workers/attempt/proxy.py; the parsing is here so the
settings can check it at start-up (`hooks` never imports `workers`).

Error messages never repeat the URL: it may hold the proxy's password.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from hooks.settings.networks import Network

_PROXY_FORM = "must be http://[user:password@]host:port, the address of an HTTP proxy that answers CONNECT"
_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")


@dataclass(frozen=True)
class ProxyUrl:
    """The egress proxy: where it listens, and the credentials it asks for (the password never shown)."""

    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    def shown(self, password: str) -> str:
        """The proxy as the operators may see it, `password` in place of the password: give it masked
        (`hooks.models.webhook.mask`; the settings import nothing of hooks but its errors)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.username}:{password}@" if self.password else ""
        user = user or (f"{self.username}@" if self.username else "")
        return f"http://{user}{host}:{self.port}"


@dataclass(frozen=True)
class NoProxy:
    """The destinations that go direct: `*` (all), names (and their subdomains), addresses and networks."""

    everything: bool = False
    names: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    def matches(self, host: str, ip: str) -> bool:
        """Whether a request to `host` (checked address `ip`) goes direct."""
        if self.everything:
            return True
        name = host.lower().rstrip(".")
        if any(name == n or name.endswith("." + n) for n in self.names):
            return True
        if self.networks:
            address = ipaddress.ip_address(ip)
            return any(address in net for net in self.networks)
        return False


def parse_proxy_url(text: str) -> ProxyUrl:
    """Parse `http://[user:password@]host:port`; raises ValueError saying what is wrong, never quoting it."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ValueError(_PROXY_FORM) from None
    if parts.scheme.lower() != "http":
        raise ValueError(f"{_PROXY_FORM} (https:// and socks proxies are not supported)")
    if not parts.hostname or port is None:
        raise ValueError(f"{_PROXY_FORM} (the host and the port are both needed)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{_PROXY_FORM} (no path, query or fragment)")
    return ProxyUrl(parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""))


def parse_no_proxy(text: str) -> NoProxy:
    """Parse comma/whitespace-separated `*`, names (`example.com`, `.example.com`, `*.example.com`), addresses
    and CIDRs; raises ValueError naming the bad entry."""
    names: list[str] = []
    networks: list[Network] = []
    for item in filter(None, re.split(r"[,\s]+", text)):
        if item == "*":
            return NoProxy(everything=True)
        try:
            networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        name = item.lower().removeprefix("*.").lstrip(".").rstrip(".")
        if not _NAME.match(name):
            raise ValueError(f"{item!r} is not a host name, a domain, an address or a network in CIDR notation")
        names.append(name)
    return NoProxy(False, tuple(names), tuple(networks))
