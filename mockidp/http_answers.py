"""Answers the HTTP protocol layer gives by itself, below the application (a request it cannot parse, a head
that takes too long), in the identity domain's error shape `{"error", "error_description", "ecid"}`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from mockidp.core import ids

HEAD_TIMEOUT = 10.0  # seconds for a whole request line + headers

REASONS = {400: b"Bad Request", 408: b"Request Timeout"}


def error_response(status: int, description: str) -> bytes:
    """A complete HTTP/1.1 answer in the identity domain's error shape, that closes the connection."""
    ecid = ids.ecid()
    body = json.dumps({"error": "invalid_request", "error_description": description, "ecid": ecid}).encode()
    head = [
        b"HTTP/1.1 %d %s" % (status, REASONS[status]),
        b"content-type: application/json",
        b"content-length: %d" % len(body),
        b"cache-control: no-store",
        b"connection: close",
        b"x-oracle-dms-ecid: " + ecid.encode(),
        b"x-oracle-dms-rid: 0:1",
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def not_http(msg: str) -> str:
    return f"The request is not valid HTTP/1.1 ({msg.rstrip('.')}); check the request line and headers."


class HeadDeadline:
    """For an uvicorn HTTP protocol class (httptools' or h11's): a connection has `head_timeout` seconds to send a
    whole request head, from its first byte or from the connection's start. Past that a partial head gets a 408
    and the connection is closed; an idle one is simply closed. The protocol says where a head stands."""

    head_timeout = HEAD_TIMEOUT  # a subclass may set another (server.make_server)
    _head_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    logger: logging.Logger

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def _head_pending(self) -> bool:
        """No request head is complete: the connection is between requests or inside a head."""
        raise NotImplementedError

    def _head_started(self) -> bool:
        """Some bytes of the next request head have arrived."""
        raise NotImplementedError

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._head_pending():
            return
        if self.cycle is not None and not self.cycle.response_complete:  # still answering the request before
            self._arm_head_timer()
            return
        if self._head_started():
            self.logger.info("a request head took longer than %g s: 408, connection closed", self.head_timeout)
            description = f"The request line and headers did not arrive within {self.head_timeout:g} seconds."
            self.transport.write(error_response(408, description))
        self.transport.close()
