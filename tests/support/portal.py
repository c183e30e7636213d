"""Helpers of the portal's tests: a link made in this process, a client signed in with it, a page's form token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hooks.portal import links
from hooks.settings import get_settings

NAVIGATE = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}  # what a browser opening a link sends


def link(stack: str, *, base: str = "http://testserver", **options: object) -> str:
    """A fresh sign-in link to `stack`'s portal at `base`."""
    return links.create_link(stack, base=base, settings=get_settings(), **options).url  # type: ignore[arg-type]


def sign_in(client: TestClient, stack: str, **options: object) -> TestClient:
    """`client` signed in to `stack`'s portal through a link (as a browser would: the login then the 303)."""
    r = client.get(link(stack, **options), headers=NAVIGATE, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/", (r.status_code, r.text[:300])
    return client


def csrf(html: str) -> str:
    """The CSRF token of a portal page's forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found[1]
