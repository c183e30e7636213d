"""A credential in a webhook URL's path (Slack, Discord, Teams) is masked like a query value: in the default name
too; the dashboard's edit form keeps the stored URL when its masked URL comes back unchanged, and a URL typed with
the mask (`…`) in it is refused (422) rather than saved."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

import hooks
from hooks.api.app import create_app
from tests.integration.api.test_dashboard_session import login, token

TOKEN = "Xy7PATHSECRETTOKEN-abcd1234"
URL = f"https://127.0.0.1:9/services/T000/B000/{TOKEN}"


def _form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html))
    return {**fields, "events": "path.#", "csrf": token(html)}


def test_the_default_name_and_the_edit_form_show_the_path_secret_masked_and_keep_it(settings, write_key):
    made = hooks.create_webhook(URL, ["path.#"])
    assert TOKEN not in made.name and made.name == "https://127.0.0.1:9/services/T000/B000/…1234"
    with TestClient(create_app(settings)) as client:
        login(client, write_key)
        edit = client.get(f"/ui/webhooks/{made.id}/edit")
        assert TOKEN not in edit.text and made.masked_url in edit.text
        form = {**_form(edit.text), "url": made.masked_url, "description": "kept"}
        saved = client.post(f"/ui/webhooks/{made.id}/edit", data=form, follow_redirects=False)
        assert saved.status_code == 303
        assert hooks.get_webhook(made.id).url == URL and hooks.get_webhook(made.id).description == "kept"
        typed = {**form, "url": made.masked_url.replace("B000", "B001")}  # changed, the mask left in
        refused = client.post(f"/ui/webhooks/{made.id}/edit", data=typed, follow_redirects=False)
        assert refused.status_code == 422 and "url: re-type the masked parts" in refused.text
        assert hooks.get_webhook(made.id).url == URL


def test_the_api_refuses_a_url_with_the_mask_in_it(api):
    for url in ("https://127.0.0.1:9/services/T000/B000/…1234", "https://127.0.0.1:9/h?token=%E2%80%A6wxyz"):
        r = api.post("/v1/webhooks", json={"url": url, "events": ["a.#"]})
        assert r.status_code == 422 and r.json()["field"] == "url", r.text
        assert r.json()["detail"].startswith("url: re-type the masked parts (…)")
