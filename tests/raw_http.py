"""Raw HTTP for the tests that send what no client library would: bytes on a socket, the answer read until the
server closes the connection; and a real server on an app of the test's own making (settings, extra routes)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.applications import Starlette

from mockidp.server import bind, make_server


@dataclass
class Answer:
    status: int | None
    headers: dict[str, str]
    body: bytes
    raw: bytes


def send(port: int, data: bytes, *, timeout: float = 15) -> Answer:
    """Bytes to 127.0.0.1:`port` on a fresh connection; the answer read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it had all of it: the answer is still there to read
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return parse(b"".join(chunks))


def parse(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = None
    if lines[0].startswith(b"HTTP/1.1 ") and lines[0][9:12].isdigit():
        status = int(lines[0][9:12])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return Answer(status, headers, body, raw)


def http_request(
    method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes = b"", *, host: bytes | None = None
) -> bytes:
    """One request that closes its connection, with a Content-Length that matches its body."""
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    lines.append(b"Host: " + (host if host is not None else b"127.0.0.1"))
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Connection: close")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@contextlib.contextmanager
def serving(app: Starlette, *, head_timeout: float | None = None) -> Iterator[int]:
    """A real server (uvicorn, the protocol mockidp serves with) on `app`, in a thread; yields its port."""
    sock = bind("127.0.0.1", 0)
    ready = threading.Event()
    server = make_server(app, log_level="info", on_ready=ready.set, head_timeout=head_timeout)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert ready.wait(10), "the server did not start"
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
