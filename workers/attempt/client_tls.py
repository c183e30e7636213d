"""The TLS context of a webhook with a client certificate (mTLS), made once per webhook and certificate.

The key is unsealed (HOOKS_ENCRYPTION_KEY) and handed to OpenSSL through an anonymous in-memory file (Linux
`memfd_create`: it never reaches a disk and is gone when closed); elsewhere through a 0600 file in a private
0700 folder, deleted as soon as it is loaded. The context verifies the endpoint as the default one does (the CA
bundle, the hostname). http.py keys kept-alive connections by the context itself, so a connection made with one
webhook's certificate is never reused for another webhook.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import threading
from collections import OrderedDict

from hooks.models.webhook import Webhook
from hooks.registry.credentials import CLIENT_KEY
from hooks.sealed import unseal
from hooks.settings import Settings

_MAX_CONTEXTS = 1024
_contexts: OrderedDict[tuple[str, str, str, str | None], ssl.SSLContext] = OrderedDict()
_lock = threading.Lock()


def client_context(webhook: Webhook, settings: Settings, ca_file: str | None) -> ssl.SSLContext | None:
    """The webhook's context with its client certificate, or None when it has none; raises ConfigurationError
    when no key of HOOKS_ENCRYPTION_KEY opens its stored key."""
    mtls = webhook.mtls
    if mtls is None:
        return None
    key = (webhook.id, mtls.fingerprint_sha256, mtls.key_sealed, ca_file)
    with _lock:
        context = _contexts.get(key)
        if context is not None:
            _contexts.move_to_end(key)
            return context
    context = ssl.create_default_context(cafile=ca_file)  # as wire.tls_context: certificate and hostname checked
    context.check_hostname, context.verify_mode = True, ssl.CERT_REQUIRED
    _load_chain(context, mtls.cert_pem.encode() + unseal(mtls.key_sealed, CLIENT_KEY, settings.encryption_keys))
    with _lock:
        _contexts[key] = context
        while len(_contexts) > _MAX_CONTEXTS:
            _contexts.popitem(last=False)
    return context


def _load_chain(context: ssl.SSLContext, pem: bytes) -> None:
    """`load_cert_chain` from memory: OpenSSL reads files only, so an in-memory one where the system has it."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("hooks-client-cert", os.MFD_CLOEXEC)
        try:
            _write_all(fd, pem)
            context.load_cert_chain(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="hooks-mtls-") as folder:  # pragma: no cover - not Linux
        path = os.path.join(folder, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, pem)
        finally:
            os.close(fd)
        try:
            context.load_cert_chain(path)
        finally:
            os.unlink(path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
