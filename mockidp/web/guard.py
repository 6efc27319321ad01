"""The last resort around the whole application, and the bound on how long a request body may take.

`LastResort` is the outermost ASGI layer. Nothing a client sends should ever reach it: every input a client
can get wrong is refused with a 4xx where it is read. If a bug lets an exception through anyway, the client
still gets a 500 in the shape of the part of the domain it called (OAuth, SCIM or control plane; never a
traceback in the body), and the log gets the exception once, at error level. A request still running when a
stopping server gives up waiting for it (uvicorn cancels it after its grace period) is answered
`503 temporarily_unavailable` in the same shapes, instead of uvicorn's plain-text 500 and a traceback.

`ReadDeadline` bounds the time a request body may take to arrive (`ServerSettings.body_timeout`, 10 s): a
body that trickles or never ends is refused with 408 and the connection closed, so it cannot hold a
connection, or a shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockidp.core import ids
from mockidp.core.errors import OAuthError
from mockidp.web.middleware import ECID_KEY

log = logging.getLogger("mockidp")

SCIM_PREFIX = "/admin/v1/"
CONTROL_PREFIX = "/mockidp/"
TENANTS_PREFIX = "/tenants/"
SCIM_SCHEMAS = [
    "urn:ietf:params:scim:api:messages:2.0:Error",
    "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error",
]
UNEXPECTED = "The identity domain had an unexpected error; see the mockidp log."
STOPPING = "The identity domain is stopping; send the request again when it is back."


def error_body(path: str, status: int, error: str, description: str, ecid: str) -> dict[str, Any]:
    """An error in the shape of the part of the domain at `path`: SCIM under /admin/v1, the control plane's
    under /mockidp, else the identity domain's OAuth shape."""
    local = path
    if path.startswith(TENANTS_PREFIX):  # /tenants/<tenant>/… is that domain's …
        local = "/" + path[len(TENANTS_PREFIX) :].partition("/")[2]
    if local.startswith(SCIM_PREFIX):
        return {
            "schemas": SCIM_SCHEMAS,
            "detail": description,
            "status": str(status),
            SCIM_SCHEMAS[1]: {"messageId": f"error.common.{error}"},
        }
    if local.startswith(CONTROL_PREFIX):
        return {"error": error, "error_description": description}
    return {"error": error, "error_description": description, "ecid": ecid}


class NotingStart:
    """An ASGI `send` that notes whether the answer has started: after that, a guard can only log an error."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class LastResort:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sending = NotingStart(send)
        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            # uvicorn's shutdown gave up waiting for this request: answer it, then let the task end.
            log.warning("%s %s -> 503: still running when the server stopped", scope["method"], scope["path"])
            if not sending.started:
                await _answer(scope, send, 503, "temporarily_unavailable", STOPPING)
        except Exception as exc:
            log.error("unexpected error on %s %s", scope["method"], scope["path"], exc_info=exc)
            if not sending.started:  # Starlette's error middleware normally answered already (web/errors.py)
                await _answer(scope, send, 500, "server_error", UNEXPECTED)


async def _answer(scope: Scope, send: Send, status: int, error: str, description: str) -> None:
    ecid = scope.get(ECID_KEY) or ids.ecid()
    body = json.dumps(error_body(scope["path"], status, error, description, ecid)).encode()
    media = b"application/scim+json" if body.startswith(b'{"schemas"') else b"application/json"
    headers = [
        (b"content-type", media),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
        (b"x-oracle-dms-ecid", ecid.encode()),
        (b"x-oracle-dms-rid", b"0:1"),
    ]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    except Exception:  # noqa: S110 - the connection is gone; there is nobody left to answer
        pass


class BodyTimeout(OAuthError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            "invalid_request",
            f"The request body did not arrive within {seconds:g} seconds; send it whole, at once.",
            408,
            headers={"Connection": "close"},
        )


class ReadDeadline:
    """Each `receive` of a request body waits no later than `timeout` seconds after the request began; past
    that it raises `BodyTimeout` (a 408 in the identity domain's shape, rendered where the body is read)."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, deadline_receive(scope, receive, self.timeout), send)


DEADLINE_KEY = "mockidp.body_deadline"  # the loop time a request's body must have arrived by


def deadline_receive(scope: Scope, receive: Receive, timeout: float) -> Receive:
    """`receive`, raising `BodyTimeout` once the body has taken more than `timeout` seconds. The deadline is kept
    in the scope, so a second wrapper of the same request (the fast lane's, then `ReadDeadline`'s) keeps the first
    one's instead of starting the clock again."""
    loop = asyncio.get_running_loop()
    deadline: float = scope.setdefault(DEADLINE_KEY, loop.time() + timeout)
    body_done = False

    async def receive_by_deadline() -> Message:
        nonlocal body_done
        if body_done:  # only the body is timed; waiting for a disconnect afterwards is not
            return await receive()
        if loop.time() >= deadline:
            raise BodyTimeout(timeout)
        task = asyncio.current_task()
        fired = False

        def expire() -> None:
            nonlocal fired
            fired = True
            if task is not None:
                task.cancel()

        handle = loop.call_at(deadline, expire)  # one timer, not wait_for's task: receive is on the hot path
        try:
            message = await receive()
        except asyncio.CancelledError:
            if fired and task is not None:
                task.uncancel()
                raise BodyTimeout(timeout) from None
            raise
        finally:
            handle.cancel()
        if message["type"] != "http.request" or not message.get("more_body", False):
            body_done = True
        return message

    return receive_by_deadline
