"""What every attempt asks is worked out once: certifi's bundle for mTLS deliveries (http.default_ca) and the
proxy an attempt goes through (proxy.route: NO_PROXY matching parses addresses), keyed by the settings they read."""

from __future__ import annotations

import certifi

from hooks.settings import Settings
from workers.attempt import http, proxy


def test_the_default_ca_bundle_is_looked_up_once(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(certifi, "where", lambda: calls.append(1) or "/certifi/cacert.pem")
    http._default_ca.cache_clear()
    try:
        assert [http.default_ca(Settings()) for _ in range(3)] == ["/certifi/cacert.pem"] * 3
        assert http.default_ca(Settings(ca_bundle="/etc/ours.pem")) == "/etc/ours.pem"
        assert len(calls) == 1
    finally:
        http._default_ca.cache_clear()


def test_the_route_is_worked_out_once_per_settings_host_and_address(monkeypatch):
    calls: list[tuple[str, str]] = []
    real = proxy.configured
    monkeypatch.setattr(proxy, "configured", lambda url, rules: calls.append((url, rules)) or real(url, rules))
    proxy._route.cache_clear()
    via = Settings(egress_proxy_url="http://127.0.0.1:3128", egress_no_proxy="10.0.0.0/8")
    try:
        routes = [proxy.route(via, "api.example.test", "93.184.215.14") for _ in range(3)]
        assert routes[0] is not None and routes[0].name == "127.0.0.1:3128" and len(calls) == 1
        assert proxy.route(via, "internal.test", "10.1.2.3") is None  # NO_PROXY: direct
        direct = via.model_copy(update={"egress_no_proxy": "*"})
        assert proxy.route(direct, "api.example.test", "93.184.215.14") is None, "keyed by the settings too"
        assert proxy.route(Settings(), "api.example.test", "93.184.215.14") is None
    finally:
        proxy._route.cache_clear()
