"""`/v1/event-types`: the catalogue over HTTP (the app's own client on the test's Redis): any key reads, a global
read-write key writes, a stack-bound key gets 403; problems name the field; a strict type's refusal on
`POST /v1/events` is a 422 naming `data` with the path in the detail."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.settings import Settings

TYPE = "content_types.entries.publish"
SCHEMA = {"type": "object", "properties": {"entry": {"type": "object", "properties": {"title": {"type": "string"}},
                                                     "required": ["title"]}}, "required": ["entry"]}  # fmt: skip
BODY = {"description": "An entry was published.", "schema": SCHEMA, "example": {"entry": {"title": "Hi"}},
        "strict": True}  # fmt: skip


def client_with(settings: Settings, key: str) -> TestClient:
    return TestClient(create_app(settings), headers={"Authorization": f"Bearer {key}"})


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()  # type: ignore[no-any-return]


def test_put_creates_then_replaces_and_get_list_delete_follow(api: TestClient) -> None:
    r = api.put(f"/v1/event-types/{TYPE}", json=BODY)
    assert r.status_code == 201 and r.headers["location"] == f"/v1/event-types/{TYPE}"
    made = r.json()
    assert made["name"] == TYPE and made["schema"] == SCHEMA and made["strict"] is True
    assert made["created_at"].endswith("Z")
    again = api.put(f"/v1/event-types/{TYPE}", json={**BODY, "description": "changed"})
    assert again.status_code == 200 and again.json()["created_at"] == made["created_at"]
    assert api.get(f"/v1/event-types/{TYPE}").json()["description"] == "changed"
    assert [t["name"] for t in api.get("/v1/event-types").json()["items"]] == [TYPE]
    assert api.delete(f"/v1/event-types/{TYPE}").status_code == 204
    assert problem(api.get(f"/v1/event-types/{TYPE}"), 404)["field"] == "event_type"
    assert problem(api.delete(f"/v1/event-types/{TYPE}"), 404)["field"] == "event_type"


@pytest.mark.parametrize(
    ("name", "body", "field", "says"),
    [
        ("content_types.*", {}, "name", "name: must be dot-separated segments"),
        (TYPE, {**BODY, "example": {"entry": {"title": 5}}}, "example",
         "example: data.entry.title: 5 is not of type 'string'."),
        (TYPE, {**BODY, "schema": {"type": "strin"}}, "schema", "schema: 'strin' is not valid"),
        (TYPE, {"strict": True}, "strict", "strict: a strict type needs a schema"),
        (TYPE, {"strict": "yes"}, "strict", "strict: "),
        (TYPE, {"schema": []}, "schema", "schema: "),
        (TYPE, {"colour": "red"}, "colour", "colour: "),
        (TYPE, {"description": "x" * 2001}, "description", "description: at most 2000 characters"),
    ],
)  # fmt: skip
def test_a_bad_entry_is_a_422_naming_the_field(api: TestClient, name: str, body: Any, field: str, says: str) -> None:
    found = problem(api.put(f"/v1/event-types/{name}", json=body), 422)
    assert found["field"] == field and found["detail"].startswith(says), found


def test_any_key_reads_a_read_only_key_cannot_write(api: TestClient, settings: Settings, read_key: str) -> None:
    api.put(f"/v1/event-types/{TYPE}", json=BODY)
    with client_with(settings, read_key) as reader:
        assert reader.get("/v1/event-types").json()["items"][0]["name"] == TYPE
        assert "read-only" in problem(reader.put(f"/v1/event-types/{TYPE}", json=BODY), 403)["detail"]
        assert problem(reader.delete(f"/v1/event-types/{TYPE}"), 403)


def test_a_stack_bound_key_reads_but_may_not_change_the_shared_catalogue(api: TestClient, settings: Settings) -> None:
    api.put(f"/v1/event-types/{TYPE}", json=BODY)
    key = create_key("acme's", stack="acme")[1]
    with client_with(settings, key) as acme:
        assert acme.get(f"/v1/event-types/{TYPE}").json()["example"] == BODY["example"]
        for r in (acme.put("/v1/event-types/a.b", json={}), acme.delete(f"/v1/event-types/{TYPE}")):
            assert "this needs a global key (it covers every stack)" in problem(r, 403)["detail"]
    assert api.get("/v1/event-types/a.b").status_code == 404


def test_publishing_data_a_strict_schema_refuses_is_a_422_naming_data_with_the_path(api: TestClient) -> None:
    api.put(f"/v1/event-types/{TYPE}", json=BODY)
    found = problem(api.post("/v1/events", json={"event_type": TYPE, "data": {"entry": {"title": 7}}}), 422)
    assert found["field"] == "data"
    assert found["detail"] == "data.entry.title: 7 is not of type 'string'."
    assert api.post("/v1/events", json={"event_type": TYPE, "data": {"entry": {"title": "ok"}}}).status_code == 202


def test_the_routes_are_in_the_openapi_document_with_their_body(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert {"get", "put", "delete"} <= set(spec["paths"]["/v1/event-types/{name}"])
    assert "schema" in spec["components"]["schemas"]["EventTypeBody"]["properties"]
