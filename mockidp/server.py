"""Running the app on a real socket with uvicorn: bind first (so a taken port is a clear error and port 0
works), then serve, announcing the URL once the server accepts requests."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from mockidp.web.interceptor import TRANSPORT_KEY

try:
    from mockidp.http_protocol import BoundedHttpToolsProtocol as HTTP_PROTOCOL
except ImportError:  # no httptools on this platform: uvicorn's pure-Python h11, slower but the same answers
    from mockidp.http_h11 import ShapedH11Protocol as HTTP_PROTOCOL  # type: ignore[assignment]

log = logging.getLogger("mockidp")


class BindError(Exception):
    pass


def bind(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A listening TCP socket. `reuse_port`: one of several (one per worker) the kernel spreads connections over;
    `listen=False` only holds the port (the workers' sockets then take it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit this. Without it a keep-alive client waits ~40 ms per response (Nagle on our
    # header/body writes against the client's delayed ACK); asyncio does not set it for sockets handed to it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BindError(
                f"port {port} on {host} is already in use; choose another with --port (or --port 0 for any free port)"
            ) from None
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if listen:
        sock.listen(2048)
    sock.setblocking(False)
    return sock


def url_for(sock: socket.socket, scheme: str = "http") -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # noqa: S104 - a wildcard address is reached via loopback
        host = "127.0.0.1"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class Server(uvicorn.Server):
    """uvicorn's server, calling `on_ready` once it accepts requests."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()


class WithTransport:
    """Puts uvicorn's connection transport in the scope, so that a queued fault can drop the connection
    (ASGI itself has no way to close a connection without answering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            scope[TRANSPORT_KEY] = transport
        await self.app(scope, receive, send)


def make_server(
    app: Starlette,
    *,
    log_level: str = "info",
    access_log: bool = False,
    on_ready: Callable[[], None] | None = None,
    head_timeout: float | None = None,
    **ssl: object,
) -> Server:
    """`head_timeout`: seconds a connection has to send a whole request head (default
    `http_answers.HEAD_TIMEOUT`)."""
    http: Any = HTTP_PROTOCOL
    if head_timeout is not None and hasattr(HTTP_PROTOCOL, "head_timeout"):
        http = type(HTTP_PROTOCOL.__name__, (HTTP_PROTOCOL,), {"head_timeout": head_timeout})
    config = uvicorn.Config(
        WithTransport(app),
        http=http,
        loop="asyncio",  # uvloop, if installed, measured no faster for tokens and with a worse p99 (bench/README.md)
        ws="none",  # no WebSocket endpoints: don't import a WebSocket library at start-up just because it is there
        log_config=None,
        log_level=log_level,
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
        h11_max_incomplete_event_size=64 * 1024,
        **ssl,  # type: ignore[arg-type]
    )
    return Server(config, on_ready)


def serve(server: Server, sock: socket.socket) -> None:
    server.run(sockets=[sock])
