"""uvicorn's pure-Python h11 protocol, for platforms without httptools: the same answers as
`http_protocol.BoundedHttpToolsProtocol` to bytes that are not HTTP (a 400 in the identity domain's JSON shape),
and the same deadline on a request head (`http_answers.HeadDeadline`). h11 bounds the size of a head itself."""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mockidp.http_answers import HeadDeadline, error_response, not_http


class ShapedH11Protocol(HeadDeadline, H11Protocol):
    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._head_pending():
            self._arm_head_timer()
        super().data_received(data)
        if not self._head_pending():
            self._cancel_head_timer()

    def _head_pending(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def _head_started(self) -> bool:
        return bool(self.conn.trailing_data[0])

    def send_400_response(self, msg: str) -> None:
        self.transport.write(error_response(400, not_http(msg)))
        self.transport.close()
