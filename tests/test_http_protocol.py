"""The HTTP layer under the app: mockidp serves with httptools where it is installed, else with uvicorn's h11,
and both must answer the same, including the bound on the request head (request line + headers)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

import mockidp.server
from mockidp.http_h11 import ShapedH11Protocol
from mockidp.http_protocol import MAX_HEAD_BYTES, BoundedHttpToolsProtocol
from mockidp.testing import MockIdP

JWKS = "/admin/v1/SigningCert/jwk"


@pytest.fixture(params=["httptools", "h11"])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdP]:
    monkeypatch.setattr(
        mockidp.server, "HTTP_PROTOCOL", BoundedHttpToolsProtocol if request.param == "httptools" else ShapedH11Protocol
    )
    with MockIdP() as idp:
        yield idp


def test_httptools_is_the_default() -> None:
    assert mockidp.server.HTTP_PROTOCOL is BoundedHttpToolsProtocol


def exchange(idp: MockIdP, data: bytes) -> bytes:
    """Send raw bytes and read until the server closes the connection."""
    host, port = idp.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request(extra_header_bytes: int, *, close: bool = True) -> bytes:
    return (
        f"GET {JWKS} HTTP/1.1\r\nHost: localhost\r\nX-Filler: {'a' * extra_header_bytes}\r\n"
        f"{'Connection: close' if close else 'X-Keep: alive'}\r\n\r\n"
    ).encode()


def test_a_large_head_within_the_bound_is_served(server: MockIdP) -> None:
    answer = exchange(server, request(MAX_HEAD_BYTES - 1024))
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_an_incomplete_head_over_the_bound_gets_400(server: MockIdP) -> None:
    # A head that never ends: the server must give up once it holds more than the bound, not buffer forever.
    unfinished = f"GET {JWKS} HTTP/1.1\r\nHost: localhost\r\nX-Filler: {'a' * (MAX_HEAD_BYTES + 4096)}"
    answer = exchange(server, unfinished.encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    answer = json.loads(body)
    assert set(answer) == {"error", "error_description", "ecid"} and answer["error"] == "invalid_request"
    assert "not valid HTTP" in answer["error_description"]


def test_the_bound_is_per_request_on_a_kept_alive_connection(server: MockIdP) -> None:
    # Three pipelined requests of 3/4 of the bound each: more than the bound together, each within it.
    third = MAX_HEAD_BYTES * 3 // 4
    answer = exchange(server, request(third, close=False) * 2 + request(third))
    assert answer.count(b"HTTP/1.1 200 OK\r\n") == 3


def test_pipelined_answers_with_and_without_a_body_all_arrive_whole(server: MockIdP) -> None:
    # The head of an answer is held until its body (OneWritePerAnswer): an answer with no body bytes (HEAD, and
    # the 204 of a CORS preflight) must still get its head out, in order, on a kept-alive connection.
    preflight = (
        f"OPTIONS {JWKS} HTTP/1.1\r\nHost: localhost\r\nOrigin: https://spa.example.com\r\n"
        "Access-Control-Request-Method: GET\r\n\r\n"
    )
    head = f"HEAD {JWKS} HTTP/1.1\r\nHost: localhost\r\n\r\n"
    answer = exchange(server, (head + preflight + head).encode() + request(0))
    statuses = [line.split(b" ")[1] for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    assert statuses == [b"200", b"204", b"200", b"200"]
    assert answer.endswith(b"}")  # the last (GET) answer's JSON body, whole
