"""/docs: Swagger UI served from the files of the `fastapi-offline` package, never from a CDN at run time.

FastAPI's own page loads Swagger UI from a CDN (blank offline, and third-party script on the dashboard's origin)
and starts it with an inline <script>, which the strict CSP (hooks/api/security.py) refuses. This page loads the
package's Swagger UI 5 files (FastAPI's documented self-hosting) from /docs/static and starts Swagger UI with our own script file (static/docs.js), which reads
the OpenAPI document's URL from the page's `data-openapi-url`.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/static"
SWAGGER_UI = files("fastapi_offline") / "static"
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")  # what PAGE loads from it
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} · API docs</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/ui/static/docs.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve Swagger UI's files under /docs/static and the page at /docs (the app is made with docs_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI)), name="swagger-ui")
    html = PAGE.format(title=escape(app.title), assets=ASSETS, openapi=escape(app.openapi_url or "/openapi.json"))

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html)
