"""HOOKS_PORTAL_*: the origins that may frame the portal, its logo and color, checked at start-up."""

from __future__ import annotations

import pytest

from hooks.api.security import portal_csp, portal_headers
from hooks.errors import ConfigurationError
from hooks.settings import Settings


def test_frame_ancestors_are_origins_separated_by_spaces_or_commas():
    s = Settings.from_env({"HOOKS_PORTAL_FRAME_ANCESTORS": "https://app.example.com, http://127.0.0.1:8080 "
                                                           "https://app.example.com:443"})  # fmt: skip
    assert s.portal_ancestors == ("https://app.example.com", "http://127.0.0.1:8080")
    assert "frame-ancestors https://app.example.com http://127.0.0.1:8080;" in portal_csp(s)
    assert "X-Frame-Options" not in portal_headers(s)


def test_unset_frame_ancestors_frame_nothing():
    s = Settings.from_env({})
    assert "frame-ancestors 'none'" in portal_csp(s) and portal_headers(s)["X-Frame-Options"] == "DENY"


def test_the_logo_origin_alone_is_added_to_img_src():
    csp = portal_csp(Settings.from_env({}), "https://cdn.example.com")
    assert "img-src 'self' data: https://cdn.example.com;" in csp and "script-src 'self';" in csp


@pytest.mark.parametrize(("env", "message"), [
    ({"HOOKS_PORTAL_FRAME_ANCESTORS": "app.example.com"}, "HOOKS_PORTAL_FRAME_ANCESTORS: 'app.example.com' must be an origin"),
    ({"HOOKS_PORTAL_FRAME_ANCESTORS": "https://a.example.com/path"}, "HOOKS_PORTAL_FRAME_ANCESTORS: 'https://a.example.com/path' must be an origin only"),
    ({"HOOKS_PORTAL_FRAME_ANCESTORS": "https://*.example.com"}, "HOOKS_PORTAL_FRAME_ANCESTORS: 'https://*.example.com' must name one host"),
    ({"HOOKS_PORTAL_FRAME_ANCESTORS": "'self'"}, "HOOKS_PORTAL_FRAME_ANCESTORS: \"'self'\" must be an origin"),
    ({"HOOKS_PORTAL_LOGO_URL": "http://cdn.example.com/l.png"}, "HOOKS_PORTAL_LOGO_URL: must be an https URL of an image"),
    ({"HOOKS_PORTAL_LOGO_URL": "https://cdn.example.com/a b.png"}, "HOOKS_PORTAL_LOGO_URL: must be an https URL of an image"),
    ({"HOOKS_PORTAL_PRIMARY_COLOR": "blue"}, "HOOKS_PORTAL_PRIMARY_COLOR: must be a color as #rrggbb"),
    # what would go into the CSP header: ASCII, one host, a real port, no user info (else every page is a 500)
    ({"HOOKS_PORTAL_LOGO_URL": "https://例え.jp/logo.png"}, "HOOKS_PORTAL_LOGO_URL: must be an https URL of an image in ASCII"),
    ({"HOOKS_PORTAL_LOGO_URL": "https://a.example.com:99999/x.png"}, "HOOKS_PORTAL_LOGO_URL: must have a port from 1 to 65535"),
    ({"HOOKS_PORTAL_LOGO_URL": "https://*/x.png"}, "HOOKS_PORTAL_LOGO_URL: must name one host (no wildcard)"),
    ({"HOOKS_PORTAL_LOGO_URL": "https://*.example.com/x.png"}, "HOOKS_PORTAL_LOGO_URL: must name one host (no wildcard)"),
    ({"HOOKS_PORTAL_LOGO_URL": "https://user:pw@cdn.example.com/x.png"}, "HOOKS_PORTAL_LOGO_URL: must not hold a user name"),
    ({"HOOKS_PORTAL_FRAME_ANCESTORS": "https://例え.jp"}, "HOOKS_PORTAL_FRAME_ANCESTORS: 'https://例え.jp' must name one host in ASCII"),
    ({"HOOKS_PORTAL_PRIMARY_COLOR": "#11223\uff13"}, "HOOKS_PORTAL_PRIMARY_COLOR: must be a color as #rrggbb"),
])  # fmt: skip
def test_a_bad_portal_setting_names_its_variable(env, message):
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(env)
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize("url", ["https://xn--r8jz45g.jp/logo.png", "https://cdn.example.com:8443/l.svg",
                                 "https://[2001:db8::1]/l.png", "http://127.0.0.1:8000/l.png"])  # fmt: skip
def test_an_ascii_logo_url_of_one_host_is_kept(url):
    assert Settings.from_env({"HOOKS_PORTAL_LOGO_URL": url}).portal_logo_url == url


def test_a_color_is_kept_in_lower_case():
    assert Settings.from_env({"HOOKS_PORTAL_PRIMARY_COLOR": "#7C3AED"}).portal_primary_color == "#7c3aed"
