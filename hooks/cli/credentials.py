"""The options of `hooks webhook add|update` for mTLS and OAuth2, and how `show` prints them.

Secrets are read from files (or `-`, standard input), never from the command line, so they stay out of the
shell's history and the process list: `--client-key FILE`, `--client-key-password-file FILE`,
`--oauth2-client-secret-file FILE`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hooks.errors import ValidationError
from hooks.models.webhook import Webhook

_OAUTH2 = ("token_url", "client_id", "scope", "audience", "client_auth")


def add_options(p: argparse.ArgumentParser, *, update: bool) -> None:
    """--client-cert/--client-key/... and --oauth2-... (and --no-client-cert/--no-oauth2 for `update`)."""
    mtls = p.add_argument_group("mTLS (a client certificate for endpoints that ask for one; https only)")
    mtls.add_argument("--client-cert", metavar="FILE", help="the client certificate, PEM (its chain after it)")
    mtls.add_argument("--client-key", metavar="FILE",
                      help="its private key, PEM (- for stdin); stored sealed, never shown again")  # fmt: skip
    mtls.add_argument("--client-key-password-file", metavar="FILE", help="the passphrase of an encrypted key (- stdin)")
    oauth = p.add_argument_group("OAuth2 client credentials (a bearer token fetched and cached by the workers)")
    oauth.add_argument("--oauth2-token-url", metavar="URL", help="the token endpoint (checked by the SSRF guard)")
    oauth.add_argument("--oauth2-client-id", metavar="ID")
    oauth.add_argument("--oauth2-client-secret-file", metavar="FILE",
                       help="a file holding the client secret (- for stdin); stored sealed, never shown")  # fmt: skip
    oauth.add_argument("--oauth2-scope", metavar="SCOPE", help="space-separated scopes to ask for")
    oauth.add_argument("--oauth2-audience", metavar="AUD", help="the audience to ask for (some servers want one)")
    oauth.add_argument("--oauth2-client-auth", choices=["basic", "body"],
                       help="send the client id and secret by HTTP Basic (default) or in the form body")  # fmt: skip
    if update:
        mtls.add_argument("--no-client-cert", action="store_true", help="stop presenting a client certificate")
        oauth.add_argument("--no-oauth2", action="store_true", help="stop using OAuth2")


def credential_fields(args: argparse.Namespace, current: Webhook | None) -> dict[str, Any]:
    """The credential fields the options give (only those given); `current` on an update, whose OAuth2 settings
    the given ones change. Raises ValidationError naming the option."""
    fields: dict[str, Any] = {}
    if getattr(args, "no_client_cert", False):
        fields["client_cert"] = None
    elif args.client_cert is not None or args.client_key is not None:
        fields["client_cert"] = _read(args.client_cert, "--client-cert") if args.client_cert else None
        fields["client_key"] = _read(args.client_key, "--client-key") if args.client_key else None
        if fields["client_cert"] is None:
            raise ValidationError("--client-cert: is required with --client-key.")
        if args.client_key_password_file:
            fields["client_key_password"] = _read(args.client_key_password_file, "--client-key-password-file").strip()
    if getattr(args, "no_oauth2", False):
        fields["oauth2"] = None
        return fields
    given = {k: getattr(args, f"oauth2_{k}") for k in _OAUTH2 if getattr(args, f"oauth2_{k}") is not None}
    if given or args.oauth2_client_secret_file:
        base = current.oauth2.model_dump(include=set(_OAUTH2)) if current and current.oauth2 else {}
        fields["oauth2"] = {**base, **given}
        if args.oauth2_client_secret_file:
            secret = _read(args.oauth2_client_secret_file, "--oauth2-client-secret-file").strip()
            fields["oauth2"]["client_secret"] = secret
    return fields


def _read(path: str, option: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable text"
        raise ValidationError(f"{option}: cannot read {path} ({reason.lower()}).") from None


def pairs(d: dict[str, Any]) -> list[tuple[str, Any]]:
    """`show`'s lines for a webhook's client certificate and OAuth2 settings (already masked by public_dict)."""
    mtls, oauth = d.get("mtls"), d.get("oauth2")
    cert = (f"{mtls['subject']} (issuer {mtls['issuer']}, expires {mtls['not_after']}, "
            f"sha256 {mtls['fingerprint_sha256']})") if mtls else ""  # fmt: skip
    token = (f"{oauth['token_url']} client_id={oauth['client_id']} secret={oauth['client_secret']} "
             f"scope={oauth['scope'] or '-'} audience={oauth['audience'] or '-'} "
             f"auth={oauth['client_auth']}") if oauth else ""  # fmt: skip
    return [("client cert", cert), ("oauth2", token)]
