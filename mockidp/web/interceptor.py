"""The one middleware behind the control plane's power over requests: it applies queued faults and writes
the request journal, for every identity-domain endpoint (not the control plane itself).

It reads a form body once (the handler then takes the parsed parameters from the scope instead of reading
again), looks at the queued faults (usually none: one store lookup) and, after the answer, appends a journal
entry. Faults are rendered by `web/errors.py`, like every other error, so their bodies are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockidp.core import faults, journal
from mockidp.core.authorize import check_target
from mockidp.core.domain import IdentityDomain
from mockidp.core.errors import ErrorPage, OAuthError, ScimError, invalid_token
from mockidp.core.stores.contract import Record
from mockidp.web.admin import BODY_KEY as ADMIN_BODY_KEY
from mockidp.web.browser import authorization_response
from mockidp.web.context import CLIENT_KEY, DOMAIN_KEY, ServerSettings
from mockidp.web.errors import OUTCOME_KEY, oauth_error, scim_error
from mockidp.web.forms import FORM, FORM_KEY, MAX_FIELDS, parse_params
from mockidp.web.guard import BodyTimeout

CONTROL_PREFIX = "/mockidp/"
TRANSPORT_KEY = "mockidp.transport"  # set by the server (server.py) so that a fault can drop the connection
OTHER = "other"

# Authorization-endpoint errors that RFC 6749 §4.1.2.1 sends back to the client's redirect_uri.
REDIRECTED_AT_AUTHORIZE = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "login_required",
        "consent_required",
        "interaction_required",
    }
)
# [choice] A malformed answer: a 200 whose JSON body stops short.
MALFORMED_BODY = b'{"access_token":"eyJ4NXQjUzI1NiI6IkF'


class Interceptor:
    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.body_limit = settings.max_body_bytes
        self.journal_size = settings.journal_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root: str = scope.get("root_path", "")
        path: str = scope["path"]
        local = path[len(root) :] if root and path.startswith(root) else path
        if local.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        endpoint = faults.endpoint_of(local) or OTHER
        domain: IdentityDomain = scope[DOMAIN_KEY]
        candidates = faults.queued(domain.store) if endpoint != OTHER else []
        if candidates:
            candidates = [f for f in candidates if f["endpoint"] in (endpoint, faults.ANY)]
        wants_params = self.journal_size > 0 or faults.needs_params(candidates, endpoint)
        headers = request_headers(scope)
        params: dict[str, str] = {}
        if wants_params:
            params = journal_query(scope)
            if scope["method"] == "POST" and headers.get("content-type", "").split(";", 1)[0].strip().lower() == FORM:
                receive, form = await self._read_form(scope, receive, headers)
                if form is not None:
                    scope[FORM_KEY] = form
                    params = {**params, **form}

        fault = None
        if candidates:
            fault = faults.take(domain.store, candidates, endpoint, _match_values(domain, params, headers))
        status: int | None = 500  # what the client got if the app fails before answering (Starlette then sends a 500)
        record = JournalNote(scope, domain, local, endpoint, params, headers, fault, self.journal_size)

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                # In the journal before the client can read the answer: with a shared store, a test asking any
                # process right after its request finds the entry.
                record(message["status"])
            await send(message)

        try:
            if fault is None:
                await self.app(scope, receive, send_noting_status)
            else:
                dropped = await self._apply(fault, endpoint, params, headers, scope, receive, send_noting_status)
                if dropped:
                    status = None
        except asyncio.CancelledError:
            if status == 500:  # the server stopped before any answer: guard.LastResort answers 503
                status = 503
            raise
        finally:
            record(status)  # no answer was started: a dropped connection, or the app failed

    async def _read_form(
        self, scope: Scope, receive: Receive, headers: Mapping[str, str]
    ) -> tuple[Receive, dict[str, str] | None]:
        """Read the body once and parse it as read_form would; the app gets the same messages replayed."""
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.body_limit:
            return receive, None  # the handler refuses it, reading no further than its limit
        messages: list[Message] = []
        chunks, size, complete = [], 0, False
        while True:
            try:
                message = await receive()
            except BodyTimeout:
                break  # the handler's own read gets the same refusal
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                complete = True
                break
        form = None
        if complete:
            try:
                form = parse_params(b"".join(chunks).decode("utf-8"))
            except (UnicodeDecodeError, OAuthError):
                form = None  # the handler reads the replayed body and says what is wrong

        return replaying(messages, receive), form

    async def _apply(
        self,
        fault: Record,
        endpoint: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> bool:
        """Misbehave as the fault says; True when the connection was dropped."""
        if fault["delay"]:
            await asyncio.sleep(fault["delay"])
        reason = f"queued fault {fault['id']}"
        if fault["drop"]:
            scope[OUTCOME_KEY] = {"error": "dropped_connection", "reason": reason}
            await _drop(scope, receive, send)
            return True
        if fault["malformed"]:
            scope[OUTCOME_KEY] = {"error": "malformed_body", "reason": reason}
            response: Response = Response(MALFORMED_BODY, 200, media_type="application/json")
        elif fault["error"] is not None:
            response = _error_response(fault, endpoint, params, headers, scope, reason)
        elif fault["status"] is not None:
            scope[OUTCOME_KEY] = {"error": None, "reason": reason}
            response = _arbitrary_response(fault)
        else:  # a delay alone: then the real answer
            await self.app(scope, receive, send)
            return False
        await response(scope, receive, send)
        return False


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first hands out `messages` (already read from it), then reads on."""

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


class JournalNote:
    """Writes one request's journal entry, once: when its answer starts (so that, with a shared store, a test asking
    any process right after its request finds it), or at the end when no answer started (`status` None: dropped)."""

    def __init__(
        self,
        scope: Scope,
        domain: IdentityDomain,
        local: str,
        endpoint: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        fault: Record | None,
        size: int,
        started: float | None = None,
    ) -> None:
        """`started`: the `time.perf_counter()` the request's handling began at (default: now)."""
        self.scope, self.domain, self.local, self.endpoint = scope, domain, local, endpoint
        self.params, self.headers, self.fault, self.size = params, headers, fault, size
        self.started = time.perf_counter() if started is None else started
        self.recorded = size <= 0

    def __call__(self, status: int | None) -> None:
        if self.recorded:
            return
        self.recorded = True
        scope = self.scope
        item = journal.entry(
            time=self.domain.clock.now(),
            method=scope["method"],
            path=self.local,
            endpoint=self.endpoint,
            params=self.params,
            authorization=self.headers.get("authorization"),
            status=status,
            outcome=scope.get(OUTCOME_KEY),
            fault=self.fault["id"] if self.fault else None,
            authenticated_client=scope.get(CLIENT_KEY),
            body=scope.get(ADMIN_BODY_KEY),
            duration_ms=round((time.perf_counter() - self.started) * 1000, 3),  # until the answer started
        )
        journal.record(self.domain.store, item, self.size)


def request_headers(scope: Scope) -> dict[str, str]:
    wanted = {b"content-type", b"content-length", b"authorization"}
    return {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in wanted}


def journal_query(scope: Scope) -> dict[str, str]:
    """The query parameters as the journal and fault matching see them (leniently: the handler refuses bad ones)."""
    query = scope.get("query_string", b"")
    if not query:
        return {}
    try:
        return dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except ValueError:  # too many parameters: the handler refuses the request; the journal keeps none of them
        return {}


def _match_values(domain: IdentityDomain, params: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str]:
    """What a fault's `match` can test: the request parameters, plus the client and user however they came."""
    entry = journal.entry(
        time=0,
        method="",
        path="",
        endpoint="",
        params=params,
        authorization=headers.get("authorization"),
        status=0,
        outcome=None,
    )
    values = dict(params)
    if entry["client_id"]:
        values["client_id"] = entry["client_id"]
    user = entry["user"]
    if user is None and params.get("refresh_token"):
        record = domain.store.get("refresh_tokens", params["refresh_token"])
        user = record.get("user") if record else None
    if user:
        values["user"] = str(user)
    return values


def _error_response(
    fault: Record, endpoint: str, params: Mapping[str, str], headers: Mapping[str, str], scope: Scope, reason: str
) -> Response:
    named = faults.NAMED_ERRORS[fault["error"]]
    status = fault["status"] or named.status
    description = fault["error_description"] or named.description
    extra = dict(fault["headers"])
    retry_after = fault["retry_after"] if fault["retry_after"] is not None else named.retry_after
    if retry_after is not None:
        extra["Retry-After"] = str(retry_after)
    request = Request(scope)
    if endpoint in ("jwks", faults.ADMIN):
        message_id = "error.common.exception.unauthorizedAccess" if status == 401 else f"error.common.{named.error}"
        response = scim_error(request, ScimError(status, description, message_id))
        response.headers.update(extra)
        return response
    if endpoint == "authorize" and fault["status"] is None and named.error in REDIRECTED_AT_AUTHORIZE:
        redirect = _authorize_redirect(scope, params, named.error, description)
        if redirect is not None:
            scope[OUTCOME_KEY] = {"error": named.error, "reason": reason}
            return redirect
    if named.error == "invalid_token":
        extra = {**invalid_token(description).headers, **extra}
    elif named.error == "invalid_client" and headers.get("authorization", "").lower().startswith("basic"):
        extra = {"WWW-Authenticate": 'Basic realm="oauth"', **extra}
    return oauth_error(request, OAuthError(named.error, description, status, headers=extra, reason=reason))


def _authorize_redirect(scope: Scope, params: Mapping[str, str], error: str, description: str) -> Response | None:
    """An authorization error goes back to the client as the endpoint's own errors do (same response mode), when
    the client and its redirect_uri are known good — never elsewhere."""
    try:
        target = check_target(scope[DOMAIN_KEY], params)
    except ErrorPage:
        return None
    return authorization_response(Request(scope), target.error(OAuthError(error, description)))


def _arbitrary_response(fault: Record) -> Response:
    headers = dict(fault["headers"])
    has_type = any(name.lower() == "content-type" for name in headers)
    body: Any = fault.get("body") if fault["has_body"] else None
    if not fault["has_body"]:
        content, media_type = b"", None
    elif isinstance(body, str):
        content, media_type = body.encode(), "text/plain; charset=utf-8"
    else:
        content, media_type = json.dumps(body).encode(), JSONResponse.media_type
    if fault["retry_after"] is not None:
        headers["Retry-After"] = str(fault["retry_after"])
    return Response(content, fault["status"], headers=headers, media_type=None if has_type else media_type)


async def _drop(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the connection without an answer. Needs the server's transport (uvicorn's, via server.py);
    elsewhere the closest is a response whose promised body never comes."""
    transport = scope.get(TRANSPORT_KEY)
    if transport is not None:
        transport.close()
        while (await receive())["type"] != "http.disconnect":  # until the server has seen the connection go
            pass
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
