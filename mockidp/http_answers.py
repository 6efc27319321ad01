"""Answers the HTTP protocol layer gives by itself, below the application (a request it cannot parse, a head
that takes too long), in the identity domain's error shape `{"error", "error_description", "ecid"}`."""

from __future__ import annotations

import json

from mockidp.core import ids

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
