"""Flower behind HTTP Basic auth: refuses to start without credentials unless told so explicitly.

`FLOWER_BASIC_AUTH=user:password` (Flower's own variable) protects it; `FLOWER_UNAUTHENTICATED=true` is the
explicit way to run it open (on a trusted laptop). Run it with `hooks flower [flower options]`.
"""

from __future__ import annotations

import os
import sys


def flower_argv(argv: list[str], environ: dict[str, str]) -> list[str]:
    """Flower's command line, with basic auth from the environment; raises SystemExit without credentials."""
    auth = environ.get("FLOWER_BASIC_AUTH", "")
    open_ok = environ.get("FLOWER_UNAUTHENTICATED", "").lower() in ("1", "true", "yes")
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or len(password) < 8:
            raise SystemExit("flower: FLOWER_BASIC_AUTH must be user:password with a password of 8+ characters.")
        return ["celery", "-A", "workers.app", "flower", *argv]  # Flower reads FLOWER_BASIC_AUTH itself: not in ps
    if open_ok:
        return ["celery", "-A", "workers.app", "flower", *argv]
    raise SystemExit("flower: refusing to start without FLOWER_BASIC_AUTH=user:password "
                     "(set FLOWER_UNAUTHENTICATED=true to run it open on a trusted machine).")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Start Flower in this process (`argv`: Flower's options, default this process's arguments)."""
    from celery.bin.celery import main as celery_main

    import workers.app  # noqa: F401 - loaded here, so Celery's `-A workers.app` finds it, not a module of the cwd

    sys.argv = flower_argv(sys.argv[1:] if argv is None else argv, dict(os.environ))
    celery_main()


if __name__ == "__main__":
    main()
