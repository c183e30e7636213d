"""`python -m hooks.api`: serve the API, dashboard and metrics with uvicorn on HOOKS_API_HOST:HOOKS_API_PORT."""

from __future__ import annotations

import sys


def main() -> int:
    """Run uvicorn until SIGTERM/SIGINT; a bad setting is one line on stderr and exit status 2."""
    import uvicorn

    from hooks.errors import ConfigurationError
    from hooks.settings import get_settings

    try:
        settings = get_settings()
    except ConfigurationError as exc:
        print(f"api: {exc}", file=sys.stderr)
        return 2
    from hooks.api.access_log import log_config
    from hooks.api.app import create_app

    print(f"api: serving on http://{settings.api_host}:{settings.api_port} (docs at /docs, dashboard at /ui/)",
          flush=True)  # fmt: skip
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_level="info",
                log_config=log_config(), proxy_headers=True, server_header=False,
                forwarded_allow_ips=settings.api_forwarded_allow_ips)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
