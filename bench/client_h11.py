"""The delivery client with h11 doing the HTTP/1.1 (bench/client.py compares its CPU with workers/attempt/wire.py).

Same socket, connect (TLS, SNI), deadline and body limit as wire.Connection; h11 frames the request and parses the
answer (status line, headers, Content-Length / chunked / to-the-end bodies, keep-alive).
"""

from __future__ import annotations

import h11

from workers.attempt import parse, wire


class Connection(wire.Connection):
    """wire.Connection's socket and connect, with an h11 state machine per connection."""

    machine: h11.Connection | None = None

    def post_h11(self, path: str, headers: dict[str, str], body: bytes, deadline: float, connect_timeout_s: float,
                 limit: int) -> wire.Answer:  # fmt: skip
        if self.sock is not None and (wire._dropped(self.sock) or self.machine is None):
            self.close()
        if self.sock is None:
            self.sock = self._connect(deadline, connect_timeout_s)
            self.machine = h11.Connection(h11.CLIENT)
        assert self.machine is not None
        state, sock = self.machine, self.sock
        try:
            request = h11.Request(method="POST", target=path, headers=[
                ("Host", self.host), ("Content-Length", str(len(body))), ("Accept-Encoding", "identity"),
                *headers.items()])  # fmt: skip
            sock.settimeout(wire._left(deadline))
            sock.sendall(state.send(request) + state.send(h11.Data(data=body)) + state.send(h11.EndOfMessage()))
            answer = self._answer(state, deadline, limit)
        except h11.ProtocolError:
            self.close()
            raise wire.WireError("invalid_response") from None
        except BaseException:
            self.close()
            raise
        if state.our_state is h11.DONE and state.their_state is h11.DONE:
            state.start_next_cycle()
        else:
            self.close()
        return answer

    def _answer(self, state: h11.Connection, deadline: float, limit: int) -> wire.Answer:
        response: h11.Response | None = None
        body = bytearray()
        while True:
            event = state.next_event()
            if event is h11.NEED_DATA:
                state.receive_data(parse.recv(self.sock, deadline))  # type: ignore[arg-type]
            elif isinstance(event, h11.InformationalResponse):
                continue
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) >= limit:
                    return self._made(response, bytes(body[:limit]), False)
            elif isinstance(event, h11.EndOfMessage):
                return self._made(response, bytes(body), True)
            elif isinstance(event, h11.ConnectionClosed):
                raise wire.WireError("connection_error")

    def _made(self, response: h11.Response | None, body: bytes, complete: bool) -> wire.Answer:
        assert response is not None
        return wire.Answer(response.status_code, dict(response.headers), body, complete)

    def post(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        return self.post_h11(*args, **kwargs)

    def close(self) -> None:
        super().close()
        self.machine = None
