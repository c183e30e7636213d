"""Send a test event to one webhook now, from the API process: signed, through the SSRF guard, and timed.

It does not go through the queue: the answer comes back in the same HTTP call, the webhook's breaker, lanes,
retries and history are left alone (a probe of an open breaker is the scheduler's job), and the request is what
a delivery sends (the webhook's headers and auth, Standard Webhooks signatures with every active secret, the
user agent), POSTed to the very address the guard checked (the Host header, SNI and certificate against the
name). Workers use their own client (workers/attempt/http.py; `hooks` never imports `workers`); this one is
plain urllib3 with the same limits: no redirects, the connect timeout, one deadline for the whole request,
the response read up to HOOKS_MAX_RESPONSE_BYTES and HOOKS_LOGGED_RESPONSE_BYTES of it kept.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

import urllib3

from hooks.errors import BlockedAddressError, ValidationError
from hooks.models.ids import delivery_id, new_event_id
from hooks.models.webhook import Webhook
from hooks.settings import Settings
from hooks.signing.sign import standard_headers
from hooks.ssrf import parse_url, resolve_checked

TEST_EVENT = "hooks.test"
_SHOWN = {"content-type", "user-agent", "webhook-id", "webhook-timestamp"}


@dataclass(frozen=True)
class TestResult:
    """What the test request got: a status and the start of the body, or the error's name."""

    ok: bool
    status_code: int | None
    duration_ms: float
    response: str
    error: str | None
    address: str | None
    webhook_message_id: str
    request_headers: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def test_body(webhook: Webhook, event_id: str, data: dict[str, Any] | None, event_type: str) -> bytes:
    """The test event's JSON, shaped as a delivery's full body."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    branch = next((b for b in webhook.branches if b != "*"), "main")
    event = {"id": event_id, "type": event_type, "timestamp": now, "stack": webhook.stack, "branch": branch,
             "data": data if data is not None else {"test": True, "message": "a test event from the hooks API"}}  # fmt: skip
    return json.dumps(event, separators=(",", ":")).encode()


def send_test(webhook: Webhook, settings: Settings, *, data: dict[str, Any] | None = None,
              event_type: str = TEST_EVENT) -> TestResult:  # fmt: skip
    """POST a signed test event to the webhook now; never raises for the endpoint's trouble."""
    event_id = new_event_id()
    message_id = delivery_id(event_id, webhook.id)
    body = test_body(webhook, event_id, data, event_type)
    headers = request_headers(webhook, message_id, body, settings)
    shown = {k: (v if k.lower() in _SHOWN else "[redacted]") for k, v in headers.items()}
    started = time.monotonic()
    status, text, error, address = _post(webhook.url, body, headers, settings, started)
    ok = status is not None and 200 <= status < 300
    duration = round((time.monotonic() - started) * 1000, 2)
    return TestResult(ok, status, duration, text, error, address, message_id, shown)


def request_headers(webhook: Webhook, message_id: str, body: bytes, settings: Settings) -> dict[str, str]:
    """The headers a delivery carries: custom, auth, content type, user agent, the signatures."""
    headers = dict(webhook.headers)
    if webhook.auth is not None:
        auth = webhook.auth
        headers["Authorization"] = ("Basic " + base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
                                    if auth.type == "basic" else f"Bearer {auth.token}")  # type: ignore[union-attr]  # fmt: skip
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = settings.user_agent
    now = time.time()
    secrets = [webhook.secret, *(o.secret for o in webhook.old_secrets if o.expires_at.timestamp() > now)]
    headers.update(standard_headers(secrets, message_id, int(now), body, webhook.signing_key))
    return headers


def _post(url: str, body: bytes, headers: dict[str, str], settings: Settings,
          started: float) -> tuple[int | None, str, str | None, str | None]:  # fmt: skip
    """(status, response excerpt, error name, address) of one POST to the checked, pinned address."""
    address = None
    try:
        target = parse_url(url, require_https=settings.require_https)
        ip = resolve_checked(target, allow_private=settings.allow_private_networks,
                             allowed_networks=settings.networks)[0]  # fmt: skip
        address = str(ip)
        deadline = started + settings.api_test_send_timeout_s
        pool = _pool(target.scheme, address, target.port, target.host, settings)
        default_port = 443 if target.scheme == "https" else 80
        name = f"[{target.host}]" if ":" in target.host else target.host
        host = name if target.port == default_port else f"{name}:{target.port}"
        timeout = urllib3.Timeout(connect=min(settings.connect_timeout_s, settings.api_test_send_timeout_s),
                                  read=max(0.001, deadline - time.monotonic()))  # fmt: skip
        resp = pool.urlopen("POST", target.path, body=body, headers={**headers, "Host": host}, redirect=False,
                            retries=False, preload_content=False, timeout=timeout, assert_same_host=False)  # fmt: skip
        try:
            data = _read(resp, settings.max_response_bytes, deadline)
        finally:
            resp.close()
            pool.close()
        return resp.status, data[: settings.logged_response_bytes].decode("utf-8", "replace"), None, address
    except BlockedAddressError as exc:
        return None, "", "blocked_address", exc.address or address
    except ValidationError:
        return None, "", "invalid_url", address
    except socket.gaierror:
        return None, "", "dns_error", address
    except urllib3.exceptions.NewConnectionError as exc:  # before ConnectTimeoutError: urllib3 2 subclasses it
        return None, "", "connection_refused" if "refused" in str(exc) else "connect_error", address
    except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return None, "", "timeout", address
    except urllib3.exceptions.SSLError:
        return None, "", "tls_error", address
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return None, "", type(exc).__name__, address


def _pool(scheme: str, address: str, port: int, host: str, settings: Settings) -> urllib3.HTTPConnectionPool:
    if scheme == "https":
        import certifi

        return urllib3.HTTPSConnectionPool(address, port=port, server_hostname=host, assert_hostname=host,
                                           cert_reqs="CERT_REQUIRED", ca_certs=settings.ca_bundle or certifi.where(),
                                           maxsize=1, retries=False)  # fmt: skip
    return urllib3.HTTPConnectionPool(address, port=port, maxsize=1, retries=False)


def _read(resp: Any, limit: int, deadline: float) -> bytes:
    """Up to `limit` bytes of the body, checking the deadline between reads (a slow drip cannot stretch it)."""
    chunks, size = [], 0
    read = getattr(resp, "read1", resp.read)
    while size < limit:
        if time.monotonic() > deadline:
            raise TimeoutError("test request deadline passed")
        chunk = read(min(8192, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
