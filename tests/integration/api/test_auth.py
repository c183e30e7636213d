"""Who may call the API, against a real uvicorn process: keys, 401/403 as problem+json, bounded bodies and pages."""

from __future__ import annotations

import httpx2 as httpx

from hooks.api.apikeys import revoke_key
from hooks.errors import ValidationError
from hooks.registry.webhooks import create_webhook

PROBLEM = "application/problem+json"


def test_no_key_is_a_401_problem_with_a_bearer_challenge(api_server, settings):
    r = httpx.get(f"{api_server}/v1/webhooks")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["detail"].startswith("Authorization: send an API key")


def test_a_wrong_or_revoked_key_is_a_401(api_server, settings, write_key):
    wrong = write_key[:-4] + ("AAAA" if not write_key.endswith("AAAA") else "BBBB")
    assert httpx.get(f"{api_server}/v1/webhooks", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert httpx.get(f"{api_server}/v1/webhooks", headers={"Authorization": f"Bearer {write_key}"}).status_code == 200
    revoke_key(write_key.split("_")[1])
    assert httpx.get(f"{api_server}/v1/webhooks", headers={"Authorization": f"Bearer {write_key}"}).status_code == 401


def test_a_read_only_key_reads_but_a_write_is_a_403(api_server, settings, read_key):
    headers = {"Authorization": f"Bearer {read_key}"}
    assert httpx.get(f"{api_server}/v1/webhooks", headers=headers).status_code == 200
    r = httpx.post(f"{api_server}/v1/events", headers=headers, json={"event_type": "a.b", "data": {}})
    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM
    assert "read-only" in r.json()["detail"]


def test_openapi_and_docs_are_served_without_a_key(api_server):
    spec = httpx.get(f"{api_server}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/webhooks", "/v1/events", "/v1/deliveries", "/v1/dlq", "/metrics"} <= set(spec["paths"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert "swagger-ui" in httpx.get(f"{api_server}/docs").text


def test_a_validation_error_names_the_field_with_the_same_sentence_as_the_library(api_server, settings, write_key):
    body = {"url": "ftp://example.com/x", "events": ["content_types.#"]}
    r = httpx.post(f"{api_server}/v1/webhooks", headers={"Authorization": f"Bearer {write_key}"}, json=body)
    try:
        create_webhook(body["url"], body["events"])
    except ValidationError as exc:
        expected = str(exc)
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["detail"] == expected
    assert r.json()["field"] == "url"


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(api_server, settings, write_key):
    big = b'{"event_type": "a.b", "data": {"x": "' + b"x" * (1024 * 1024 + 10) + b'"}}'
    r = httpx.post(f"{api_server}/v1/events", content=big,
                   headers={"Authorization": f"Bearer {write_key}", "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    assert r.json()["detail"].startswith("body: the request body is larger than")


def test_a_chunked_body_over_the_limit_is_refused_too(api_server, settings, write_key):
    def chunks():
        yield b'{"event_type": "a.b", "data": {"x": "'
        for _ in range(300):
            yield b"x" * 4096
        yield b'"}}'

    r = httpx.post(f"{api_server}/v1/events", content=chunks(),
                   headers={"Authorization": f"Bearer {write_key}", "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413


def test_page_sizes_are_bounded(api_server, settings, write_key):
    headers = {"Authorization": f"Bearer {write_key}"}
    r = httpx.get(f"{api_server}/v1/deliveries", params={"limit": 100000}, headers=headers)
    assert r.status_code == 422
    assert r.json() | {"field": "limit", "detail": "limit: must be an integer from 1 to 500."} == r.json()


def test_keys_never_reach_the_servers_log(api_server, settings, write_key, log_dir):
    httpx.get(f"{api_server}/v1/webhooks", headers={"Authorization": f"Bearer {write_key}"})
    httpx.get(f"{api_server}/v1/webhooks", headers={"Authorization": f"Bearer {write_key}x"})
    secret = write_key.split("_", 2)[2]
    assert secret not in (log_dir / "api-session.log").read_text()
