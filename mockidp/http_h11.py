"""uvicorn's pure-Python h11 protocol, for platforms without httptools: the same answers as
`http_protocol.BoundedHttpToolsProtocol` to bytes that are not HTTP (a 400 in the identity domain's JSON shape).
h11 bounds the size of a request head itself; the head's time is bounded only with httptools."""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

from mockidp.http_answers import error_response, not_http


class ShapedH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        self.transport.write(error_response(400, not_http(msg)))
        self.transport.close()
