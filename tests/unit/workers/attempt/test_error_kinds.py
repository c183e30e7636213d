"""Every exception the client can meet while connecting, sending or reading is logged under one of the attempt
log's kinds, never under its class name (logs and metrics would split one failure into several)."""

from __future__ import annotations

import ssl

import pytest

from workers.attempt.parse import WireError, error_kind


@pytest.mark.parametrize(("exc", "kind"), [
    (TimeoutError(), "timeout"), (ssl.SSLError(), "tls_error"),
    (BrokenPipeError(), "connection_error"), (ConnectionResetError(), "connection_error"),
    (ConnectionAbortedError(), "connection_error"), (OSError(113, "No route to host"), "connection_error"),
    (ConnectionRefusedError(), "connection_refused"),
    (ssl.SSLError(1, "bad record mac"), "tls_error"), (ssl.SSLEOFError(), "tls_error"),
    (ssl.SSLZeroReturnError(), "tls_error"), (ssl.SSLCertVerificationError(), "tls_error"),
    (ssl.CertificateError(), "tls_error"), (WireError("invalid_response"), "invalid_response"),
])  # fmt: skip
def test_each_exception_has_a_kind_of_the_attempt_log(exc, kind):
    assert error_kind(exc) == kind


def test_http_post_names_an_unexpected_os_error_by_kind(monkeypatch, settings):
    import workers.attempt.http as http

    def broken(*args: object, **kwargs: object) -> object:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(http, "_send", broken)
    assert http.post("http://127.0.0.1:9/x", b"{}", {}, settings).error == "connection_error"
