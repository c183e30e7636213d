"""The operators' HTTP surface: the `/v1` API (OpenAPI at /openapi.json, docs at /docs), the dashboard at
`/ui/` and Prometheus metrics at `/metrics`, in one FastAPI app (`hooks.api.app.create_app`), run by
`python -m hooks.api` (uvicorn on HOOKS_API_HOST:HOOKS_API_PORT).

Modules: `app` (the factory), `v1/` (one router per resource, schemas beside them), `auth` and `apikeys` (API
keys, hashed in Redis), `problems` (RFC 9457 errors), `limits` (bounded bodies), `ping` (a signed test POST, made by a worker),
`metrics` (the exposition), `ui/` with `templates/` and `static/` (the dashboard). Kept import-free here, so
`hooks.api.apikeys` stays cheap for the `hooks api-key` command.
"""
