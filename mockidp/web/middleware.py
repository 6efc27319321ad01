"""ASGI middleware common to every response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockidp.core import ids

ECID_KEY = "mockidp.ecid"


def oracle_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """A new ECID for this request, kept in the scope (error bodies repeat it), and the two headers that carry it."""
    ecid = scope[ECID_KEY] = ids.ecid()
    return [(b"x-oracle-dms-ecid", ecid.encode()), (b"x-oracle-dms-rid", b"0:1")]


class OracleHeaders:
    """Every response carries `X-ORACLE-DMS-ECID` and `X-ORACLE-DMS-RID`, as the real service's do; error
    bodies repeat the same ECID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = oracle_headers(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
