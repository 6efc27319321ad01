"""The fast lane: the two busiest requests — a token request and the JWKS — answered without the general
machinery when nothing about them needs it.

A load test spends its time there, and each of the layers every request goes through (ECID headers, the body
deadline, the store guard, domain selection, CORS, faults and journal, then Starlette's error layers, router
and request wrapper) costs a few microseconds; together they were ~15 % of a token request's CPU, the RS256
signature aside (bench/README.md). This layer, just inside `guard.LastResort`, does what those layers do for
such a request in one pass, with their own functions: `oracle_headers`, `deadline_receive`,
`DomainSelector.select`, `JournalNote`, the handlers' core calls and `web/errors.py`'s renderers.

It takes a request only when none of the rest could change its answer: `POST /oauth2/v1/token` with a form body
sent whole in its first message, or `GET /admin/v1/SigningCert/jwk` of a domain whose JWKS needs no token; no
`Origin` header (CORS), no fault queued (when the control plane is on), no `/tenants/` prefix or `root_path`.
Everything else goes the general way, with any body already read replayed, so a request gets the same answer
either way (tests/test_fast_lane.py sends the same requests both ways and compares the answers and journals).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockidp.core import faults
from mockidp.core.domain import IdentityDomain
from mockidp.core.errors import OAuthError
from mockidp.core.stores import StoreUnavailable
from mockidp.core.token_endpoint import token
from mockidp.web import jwks
from mockidp.web.context import DOMAIN_KEY, DomainSelector, ServerSettings, base_url, client_recorder
from mockidp.web.errors import NO_STORE, oauth_error, store_unavailable, unexpected_error
from mockidp.web.forms import FORM, parse_params
from mockidp.web.guard import BodyTimeout, deadline_receive
from mockidp.web.interceptor import JournalNote, journal_query, replaying, request_headers
from mockidp.web.middleware import ECID_KEY, oracle_headers

TOKEN_PATH = "/oauth2/v1/token"

# A lane's result: the answer, the unexpected exception the answer is the 500 of (raised again once it is out),
# and the request parameters for the journal; or None to send the request the general way (with the body
# messages it read replayed).
Answered = tuple[Response, Exception | None, dict[str, str]] | None
Lane = Callable[["FastLane", Scope, Receive, IdentityDomain, dict[str, str], list[Message]], Awaitable[Answered]]


class FastLane:
    def __init__(self, app: ASGIApp, domains: list[IdentityDomain], settings: ServerSettings) -> None:
        self.app = app
        self.selector = DomainSelector(app, domains)
        self.settings = settings
        self.journal_size = settings.journal_size if settings.control else 0  # no control plane, no journal
        self.answered = 0  # requests answered here, not the general way (tests/test_fast_lane.py reads it)
        self.lanes: dict[tuple[str, str], tuple[str, Lane]] = {
            ("POST", TOKEN_PATH): ("token", FastLane._token),
            ("GET", jwks.PATH): ("jwks", FastLane._jwks),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.lanes.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        if lane is None or scope.get("root_path") or _has_origin(scope):
            await self.app(scope, receive, send)
            return
        endpoint, answer = lane
        started = time.perf_counter()
        domain = scope[DOMAIN_KEY] = self.selector.select(scope)
        headers = request_headers(scope)
        read: list[Message] = []
        extra = oracle_headers(scope)  # first: an error body repeats the ECID

        def journal(params: dict[str, str], status: int) -> None:
            JournalNote(scope, domain, scope["path"], endpoint, params, headers, None, self.journal_size, started)(
                status
            )

        try:
            if self.settings.control and faults.queued(domain.store):
                answered: Answered = None  # the interceptor applies it
            else:
                receive_by_deadline = deadline_receive(scope, receive, self.settings.body_timeout)
                try:
                    answered = await answer(self, scope, receive_by_deadline, domain, headers, read)
                except asyncio.CancelledError:  # stopped while reading: LastResort answers 503, as it is noted
                    journal({}, 503)
                    raise
            if answered is not None:
                journal(answered[2], answered[0].status_code)
        except StoreUnavailable as exc:  # as health.StoreGuard answers it (unjournaled: the journal is in the store)
            answered = store_unavailable(Request(scope), exc), None, {}
        if answered is None:
            scope.pop(ECID_KEY, None)  # the general way makes the request's ECID
            await self.app(scope, replaying(read, receive) if read else receive, send)
            return
        response, unexpected, _ = answered
        self.answered += 1
        if unexpected is not None:
            extra = []  # unexpected_error's 500 carries the ECID headers itself
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": [*response.raw_headers, *extra]}
        )
        await send({"type": "http.response.body", "body": response.body})
        if unexpected is not None:
            raise unexpected  # guard.LastResort logs it, as it does after Starlette's error middleware

    # -- the lanes ------------------------------------------------------------------------------------------

    async def _token(
        self, scope: Scope, receive: Receive, domain: IdentityDomain, headers: dict[str, str], read: list[Message]
    ) -> Answered:
        declared = headers.get("content-length", "")
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != FORM or not (declared.isascii() and declared.isdigit()):
            return None
        if int(declared) > self.settings.max_body_bytes:
            return None  # the handler refuses it, reading no further than its limit
        try:
            message = await receive()
        except BodyTimeout:
            return None  # the general way's read meets the same deadline, already passed, and says so
        read.append(message)
        if message["type"] != "http.request" or message.get("more_body", False):
            return None
        try:
            form = parse_params(message.get("body", b"").decode("utf-8"))
        except (UnicodeDecodeError, OAuthError):
            return None  # the handler says what is wrong
        query = journal_query(scope)
        request = Request(scope)

        def answer() -> Response:
            urls = domain.urls(base_url(request, self.settings))
            body = token(domain, urls, form, headers.get("authorization"), client_recorder(request))
            return JSONResponse(body, headers=NO_STORE)

        return *_answered(request, answer), {**query, **form} if query else form

    async def _jwks(
        self, scope: Scope, receive: Receive, domain: IdentityDomain, headers: dict[str, str], read: list[Message]
    ) -> Answered:
        if domain.settings.jwks_requires_auth:
            return None
        return *_answered(Request(scope), lambda: JSONResponse(jwks.jwks_document(domain))), journal_query(scope)


def _answered(request: Request, answer: Callable[[], Response]) -> tuple[Response, Exception | None]:
    """The answer, or the error it raised rendered as the general way's exception handlers render it (with the
    exception, when it was a bug: the 500 in the endpoint's shape, which LastResort logs after the answer)."""
    try:
        return answer(), None
    except OAuthError as exc:
        return oauth_error(request, exc), None
    except StoreUnavailable:
        raise
    except Exception as exc:
        return unexpected_error(request, exc), exc


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])
