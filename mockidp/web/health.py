"""Is the server able to answer: `GET /mockidp/health` (always served, even with --no-control; no secrets), and
the middleware that turns a lost shared store into a 503 wherever a request meets it."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockidp import __version__
from mockidp.core.stores import StoreUnavailable
from mockidp.web.errors import store_unavailable
from mockidp.web.guard import NotingStart

log = logging.getLogger("mockidp")
PATH = "/mockidp/health"


async def health(request: Request) -> Response:
    """200 `{"status": "ok", "store": {...}, ...}` when every part works, else 503 saying which part is down."""
    store = request.app.state.backend.health()
    ok = store["status"] == "ok"
    body = {
        "status": "ok" if ok else "unavailable",
        "version": __version__,
        "store": store,
        "tenants": [domain.tenant for domain in request.app.state.domains],
    }
    return JSONResponse(body, 200 if ok else 503, headers={"Cache-Control": "no-store"})


class StoreGuard:
    """A `StoreUnavailable` raised anywhere below (handlers, the fault and journal middleware, CORS) becomes the
    503 of `web/errors.py`; after the answer has started, only a log line (never a traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sending = NotingStart(send)
        try:
            await self.app(scope, receive, sending)
        except StoreUnavailable as exc:
            if sending.started:
                log.warning("%s %s: answered, but %s", scope["method"], scope["path"], exc.message)
                return
            await store_unavailable(Request(scope, receive), exc)(scope, receive, send)


routes = [Route(PATH, health, methods=["GET"])]
