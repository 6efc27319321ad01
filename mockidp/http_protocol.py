"""uvicorn's httptools protocol, with the bound on the request head that uvicorn's h11 protocol has.

httptools (llhttp, in C) parses requests several times faster than h11 (pure Python): with it one core
answers ~13 % more client_credentials tokens/s and twice the JWKS requests/s (bench/README.md). But uvicorn
gives it no limit on the request line + headers, where h11 refuses a request whose incomplete head has
grown past `h11_max_incomplete_event_size`. This class counts the bytes received while a request head is
incomplete, and answers one that passes the same bound exactly as h11 does.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024  # the same as the h11_max_incomplete_event_size that server.py gives h11


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # received since the last request ended, while no request head is complete
        self._in_body = False

    def data_received(self, data: bytes) -> None:
        if not self._in_body:
            self._head_bytes += len(data)
        super().data_received(data)
        # Judged after parsing, as h11 does: a head that completed within this data is fine at any size.
        if not self._in_body and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            message = "Invalid HTTP request received."  # h11's answer when its bound is passed
            self.logger.warning(message)
            self.send_400_response(message)

    def on_headers_complete(self) -> None:
        self._in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body, self._head_bytes = False, 0
        super().on_message_complete()
