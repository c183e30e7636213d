"""The API's access log (a real `python -m hooks.api`): method, path and status, never a query string, so a portal
sign-in link's token never reaches a log (hooks/api/access_log.py)."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from tests.conftest import wait_for
from tests.support.portal import NAVIGATE, link


def _send(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers or {}), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_access_log_never_prints_a_query_string_such_as_a_links_token(settings, hooks_env, start_api, log_dir):
    url = start_api(hooks_env)
    log = log_dir / f"api-{urlsplit(url).port}.log"
    made = link("acme", base=url)
    token = made.rsplit("=", 1)[1]
    # a scanner's GET, a HEAD and an <img>'s GET, which leave the link usable, then the browser's navigation
    for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"Sec-Fetch-Dest": "image"}), ("GET", NAVIGATE)):
        assert _send(made, method, headers) < 500
    assert _send(f"{url}/healthz?probe=query-value-never-logged") == 200
    wait_for(lambda: log.read_text().count("/portal/login") >= 4 and "/healthz" in log.read_text(),
             what=f"the access log lines in {log}")  # fmt: skip
    text = log.read_text()
    assert '"GET /portal/login HTTP/1.1" 200' in text and '"HEAD /portal/login HTTP/1.1" 400' in text, text
    assert token not in text and "query-value-never-logged" not in text and "?" not in text, text
