"""uvicorn's httptools protocol, with the bounds on the request head that uvicorn leaves out, and its
protocol-level refusals in the identity domain's error shape.

httptools (llhttp, in C) parses requests several times faster than h11 (pure Python): with it one core
answers ~13 % more client_credentials tokens/s and twice the JWKS requests/s (bench/README.md). But uvicorn
gives it no limit on the request line + headers, where h11 refuses a request whose incomplete head has
grown past `h11_max_incomplete_event_size`; and neither of them bounds the time a head may take, so a client
that connects and sends nothing, or a header a byte a second, holds a connection for ever. This class:

- counts the bytes received while a request head is incomplete, and refuses one that passes `MAX_HEAD_BYTES`
  exactly as h11 does;
- gives a connection `HEAD_TIMEOUT` seconds to send a whole request head (from its first byte, or from the
  connection's start): past that, a partial head gets a 408 and the connection is closed (an idle one is
  simply closed);
- answers bytes that are not HTTP (uvicorn's plain-text "Invalid HTTP request received.") with a 400 in the
  identity domain's JSON shape `{"error", "error_description", "ecid"}`.

The body has its own deadline, in the application (`web/guard.py`, `ReadDeadline`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockidp.http_answers import HEAD_TIMEOUT, HeadDeadline, error_response, not_http

MAX_HEAD_BYTES = 64 * 1024  # the same as the h11_max_incomplete_event_size that server.py gives h11
__all__ = ["HEAD_TIMEOUT", "MAX_HEAD_BYTES", "BoundedHttpToolsProtocol", "OneWritePerAnswer"]


class OneWritePerAnswer:
    """The connection's transport as one answer's cycle sees it: the response head is held until the first body
    write and sent with it, so an answer is one `send` system call and one TCP segment instead of two."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 1"):  # not a 100 Continue
            self._head = data
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            self._transport.write(self._head)
            self._head = None

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class BoundedHttpToolsProtocol(HeadDeadline, HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # received since the last request ended, while no request head is complete
        self._in_body = False

    def data_received(self, data: bytes) -> None:
        if not self._in_body:
            self._head_bytes += len(data)
            if self._head_timer is None:
                self._arm_head_timer()
        super().data_received(data)
        # Judged after parsing, as h11 does: a head that completed within this data is fine at any size.
        if not self._in_body and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            message = "Invalid HTTP request received."  # h11's answer when its bound is passed
            self.logger.warning(message)
            self.send_400_response(message)

    def on_headers_complete(self) -> None:
        self._in_body = True
        self._cancel_head_timer()
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None:  # not yet running: its task starts on the next turn of the loop
            writer = OneWritePerAnswer(self.transport)
            cycle.transport = writer  # type: ignore[assignment]
            completed = cycle.on_response

            def on_response() -> None:  # an answer without body bytes (HEAD, 204) has its head sent here
                writer.flush()
                completed()

            cycle.on_response = on_response

    def on_message_complete(self) -> None:
        self._in_body, self._head_bytes = False, 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes it cannot parse as HTTP, in the identity domain's shape."""
        self.transport.write(error_response(400, not_http(msg)))
        self.transport.close()

    def _head_pending(self) -> bool:
        return not self._in_body

    def _head_started(self) -> bool:
        return self._head_bytes > 0
