"""The control plane, `/mockidp/v1/…`: what tests use to make the domain misbehave and to see what clients did.

JSON in, JSON out; every refusal is a 4xx `{"error", "error_description", "problems"?}` (web/errors.py). The
routes are thin: each is a core call (faults, clock, keys, forge, journal, runtime) on the request's domain.
`--control-token` guards them all; `--no-control` leaves them out of the app.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import math
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockidp.core import cimd, faults, forge, journal, reload, runtime
from mockidp.core.clock import iso
from mockidp.core.console import debugger
from mockidp.core.domain import IdentityDomain, Urls
from mockidp.core.errors import ControlError, OAuthError
from mockidp.core.tokens import inspect_token
from mockidp.web import console
from mockidp.web.context import base_url, domain_of
from mockidp.web.forms import read_body
from mockidp.web.openapi import openapi_document

PREFIX = "/mockidp/v1"
log = logging.getLogger("mockidp")
JOURNAL_ENDPOINTS = (*faults.ENDPOINTS, cimd.JOURNAL_ENDPOINT, "other")
MAX_CLOCK_SECONDS = 100 * 366 * 86400
MAX_TOKEN_CHARS = 16 * 1024


class ControlGuard:
    """With a control token, every control call must carry `Authorization: Bearer <token>` (compared in
    constant time)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.expected = f"bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is not None and scope["type"] == "http":
            given = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
            scheme, _, credentials = given.partition(b" ")
            if not hmac.compare_digest(scheme.lower() + b" " + credentials.strip(), self.expected):
                raise ControlError(401, "The control plane needs Authorization: Bearer <the server's --control-token>.")
        await self.app(scope, receive, send)


async def json_body(request: Request, *, required: bool = True) -> Any:
    body = await read_body_or_refuse(request)
    if not body.strip():
        if required:
            raise ControlError(400, "The request needs a JSON body.")
        return {}
    from mockidp.web import json_input  # only control calls with a body need it: not at start-up

    try:
        return json_input.parse(body)
    except json_input.JsonInputError as exc:
        raise ControlError(400, str(exc)) from None


async def read_body_or_refuse(request: Request) -> bytes:
    try:
        return await read_body(request, request.app.state.settings.max_body_bytes)
    except OAuthError as exc:
        raise ControlError(exc.status, exc.description) from None


def _domain(request: Request) -> IdentityDomain:
    return domain_of(request)


def _domain_urls(request: Request) -> Urls:
    """The domain's URLs as its own endpoints see them: without this mount's /mockidp/v1 in the base (which
    matters to a minted token's iss when the issuer is "self")."""
    settings = request.app.state.settings
    base = base_url(request, settings)
    return _domain(request).urls(base.removesuffix(PREFIX))


# ---------------------------------------------------------------------------------------------- faults


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": faults.listing(_domain(request).store)})


async def add_fault(request: Request) -> Response:
    record = faults.add(_domain(request).store, await json_body(request))
    return JSONResponse(faults.public(record), 201)


async def get_fault(request: Request) -> Response:
    return JSONResponse(faults.get(_domain(request).store, request.path_params["fault_id"]))


async def delete_fault(request: Request) -> Response:
    faults.delete(_domain(request).store, request.path_params["fault_id"])
    return Response(status_code=204)


async def clear_faults(request: Request) -> Response:
    faults.clear(_domain(request).store)
    return Response(status_code=204)


# ---------------------------------------------------------------------------------------------- clock


def clock_state(domain: IdentityDomain) -> dict[str, Any]:
    state = domain.clock.state()
    state["iso"] = iso(state["now"])
    return state


async def get_clock(request: Request) -> Response:
    return JSONResponse(clock_state(_domain(request)))


async def change_clock(request: Request) -> Response:
    """`{"action": "advance", "seconds": N}`, `{"action": "set", "time": …}`, `freeze` (optionally at a time),
    `unfreeze`, `reset`."""
    domain = _domain(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ControlError(400, 'The body must be an object such as {"action": "advance", "seconds": 3600}.')
    action = body.get("action")
    allowed = {"advance": {"seconds"}, "set": {"time"}, "freeze": {"time"}, "unfreeze": set(), "reset": set()}
    if not isinstance(action, str) or action not in allowed:
        raise ControlError(400, f"action: must be one of {', '.join(allowed)}, got {action!r}.")
    unknown = set(body) - allowed[action] - {"action"}
    if unknown:
        raise ControlError(400, f"{', '.join(sorted(unknown))}: not a field of the {action} action.")
    clock = domain.clock
    if action == "advance":
        clock.advance(_seconds(body.get("seconds")))
    elif action == "set":
        clock.set(_instant(body.get("time")))
    elif action == "freeze":
        clock.freeze(_instant(body["time"]) if body.get("time") is not None else None)
    elif action == "unfreeze":
        clock.unfreeze()
    else:
        clock.reset()
    return JSONResponse(clock_state(domain))


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ControlError(400, f"seconds: must be a number of seconds (negative goes back), got {value!r}.")
    if abs(value) > MAX_CLOCK_SECONDS:
        raise ControlError(400, f"seconds: must be within ±{MAX_CLOCK_SECONDS} (100 years), got {value!r}.")
    return float(value)


def _instant(value: Any) -> float:
    """An instant as Unix seconds or ISO 8601 (`2030-01-01T00:00:00Z`; no zone = UTC)."""
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise ControlError(400, f"time: {value!r} is not ISO 8601 such as 2030-01-01T00:00:00Z.") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        value = parsed.timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ControlError(400, f"time: must be Unix seconds or an ISO 8601 string, got {value!r}.")
    if not 0 <= value <= 2**33:
        raise ControlError(400, f"time: must be between 1970 and 2242, got {value!r}.")
    return float(value)


# ---------------------------------------------------------------------------------------------- keys


RETIRED_NS = "keys_retired"  # what the console lists as retired: kid and when (the ring forgets them)
MAX_RETIRED = 20


def _keys(domain: IdentityDomain, **extra: Any) -> dict[str, Any]:
    retired = sorted((record for _, record in domain.store.items(RETIRED_NS)), key=lambda r: r["retired_at"])
    return {**extra, "keys": domain.keys.describe(), "retired": retired}


def _note_retired(domain: IdentityDomain, kid: str) -> None:
    store = domain.store
    store.put(RETIRED_NS, kid, {"kid": kid, "retired_at": domain.clock.now()})
    records = sorted((record for _, record in store.items(RETIRED_NS)), key=lambda r: r["retired_at"])
    for record in records[:-MAX_RETIRED]:  # bounded: a test that rotates and retires in a loop keeps the last 20
        store.delete(RETIRED_NS, record["kid"])


async def list_keys(request: Request) -> Response:
    return JSONResponse(_keys(_domain(request)))


async def rotate_keys(request: Request) -> Response:
    domain = _domain(request)
    key = await run_in_threadpool(domain.keys.rotate, domain.clock.now())  # RSA key generation takes a while
    return JSONResponse(_keys(domain, key=key), 201)


async def publish_next_key(request: Request) -> Response:
    domain = _domain(request)
    key = await run_in_threadpool(domain.keys.publish_next, domain.clock.now())
    return JSONResponse(_keys(domain, key=key), 201)


async def retire_key(request: Request) -> Response:
    domain = _domain(request)
    kid = request.path_params["kid"]
    domain.keys.retire(kid)
    _note_retired(domain, kid)
    return JSONResponse(_keys(domain))


# ---------------------------------------------------------------------------------------------- tokens


async def mint_token(request: Request) -> Response:
    return JSONResponse(forge.mint(_domain(request), _domain_urls(request), await json_body(request)), 201)


async def check_token(request: Request) -> Response:
    """`{"token": "<JWT>", "audience"?: "…"}`: the header and claims, and each check against this domain."""
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not body["token"].strip():
        raise ControlError(400, 'The body must be an object such as {"token": "eyJ…"} (the JWT to check).')
    unknown = sorted(set(body) - {"token", "audience"})
    if unknown:
        raise ControlError(400, f"{', '.join(unknown)}: unknown field; expected token, audience.")
    audience = body.get("audience")
    if audience is not None and not isinstance(audience, str):
        raise ControlError(400, "audience: must be a string (the aud the token must contain), or left out.")
    if len(body["token"]) > MAX_TOKEN_CHARS:
        raise ControlError(400, f"token: longer than {MAX_TOKEN_CHARS} characters; that is not a token of this domain.")
    domain, urls = _domain(request), _domain_urls(request)
    verdict = inspect_token(domain, body["token"].strip(), issuers=urls.issuers, audience=audience or None)
    rejection = verdict.rejection
    return JSONResponse(
        {
            "valid": rejection is None,
            "reason": rejection.detail if rejection else None,
            "header": verdict.header,
            "claims": verdict.claims,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in verdict.checks],
            "now": domain.clock.now(),
        }
    )


# ---------------------------------------------------------------------------------------------- console


async def start_flow(request: Request) -> Response:
    """Start a flow of the console's debugger: the callback is this domain's `/mockidp/console/callback`."""
    urls = _domain_urls(request)
    flow = debugger.start(
        _domain(request),
        await json_body(request),
        redirect_uri=urls.base + console.CALLBACK_PATH,
        authorize_url=urls.base + "/oauth2/v1/authorize",
    )
    return JSONResponse(flow, 201)


async def domain_overview(request: Request) -> Response:
    """The domain at a glance: tenant, issuer, its URLs, lifetimes, and the names the other calls accept."""
    domain, urls = _domain(request), _domain_urls(request)
    settings = domain.settings
    return JSONResponse(
        {
            "tenant": domain.tenant,
            "issuer": urls.issuer,
            "url": urls.base,
            "discovery_url": urls.base + "/.well-known/openid-configuration",
            "jwks_url": urls.base + "/admin/v1/SigningCert/jwk",
            "fixtures": str(domain.fixtures.directory),
            "access_token_ttl": settings.access_token_ttl,
            "refresh_token_ttl": settings.refresh_token_ttl,
            "code_ttl": settings.code_ttl,
            "session_ttl": settings.session_ttl,
            "quirks": {
                "jwks_key_ops": list(settings.jwks_key_ops),
                "group_claims": settings.group_claims,
                "id_token_profile": settings.id_token_profile,
            },
            "endpoints": list(faults.ENDPOINTS),
            "journal_endpoints": list(JOURNAL_ENDPOINTS),
            "named_errors": list(faults.NAMED_ERRORS),
            "defects": list(forge.DEFECTS),
            "clock": clock_state(domain),
        }
    )


# ---------------------------------------------------------------------------------------------- journal


async def list_requests(request: Request) -> Response:
    query = request.query_params
    unknown = set(query) - {"endpoint", "client_id", "status", "after", "limit"}
    if unknown:
        raise ControlError(
            400,
            f"{', '.join(sorted(unknown))}: unknown query parameter; use endpoint, client_id, status, after, limit.",
        )
    endpoint = query.get("endpoint")
    if endpoint is not None and endpoint not in JOURNAL_ENDPOINTS:
        raise ControlError(400, f"endpoint: must be one of {', '.join(JOURNAL_ENDPOINTS)}; got {endpoint!r}.")
    limit = query.get("limit")
    if limit is not None and (
        not (limit.isascii() and limit.isdigit() and len(limit) <= 6) or not 1 <= int(limit) <= journal.LIMIT
    ):
        raise ControlError(400, f"limit: must be a whole number from 1 to {journal.LIMIT}, got {limit!r}.")
    status = query.get("status")
    if status is not None and not journal.STATUS_FILTER.fullmatch(status):
        raise ControlError(400, f"status: must be a status (401), a class (4xx) or dropped; got {status!r}.")
    after = query.get("after")
    if after is not None and (not (after.isascii() and after.isdigit()) or len(after) > 12):
        raise ControlError(400, f"after: must be the id of an entry (a whole number), got {after!r}.")
    store = _domain(request).store
    found = journal.entries(
        store,
        endpoint=endpoint,
        client_id=query.get("client_id"),
        status=status,
        after=int(after) if after is not None else None,
        limit=int(limit) if limit else None,
    )
    return JSONResponse({"requests": found, "last_id": journal.last_id(store)})


async def clear_requests(request: Request) -> Response:
    journal.clear(_domain(request).store)
    return Response(status_code=204)


# ------------------------------------------------------------------------------ users, clients, resources


async def list_users(request: Request) -> Response:
    domain = _domain(request)
    users = runtime.users(domain)
    return JSONResponse(
        {"users": [runtime.describe_user(u, runtime.source_of(domain, runtime.USERS, n)) for n, u in users.items()]}
    )


async def get_user(request: Request) -> Response:
    domain = _domain(request)
    name = request.path_params["user_name"]
    user = domain.user(name)
    if user is None:
        raise ControlError(404, f"There is no user {name!r} in this identity domain.")
    return JSONResponse(runtime.describe_user(user, runtime.source_of(domain, runtime.USERS, name)))


async def put_user(request: Request) -> Response:
    user, created = runtime.put_user(_domain(request), request.path_params["user_name"], await json_body(request))
    return JSONResponse(runtime.describe_user(user, "runtime"), 201 if created else 200)


async def delete_user(request: Request) -> Response:
    runtime.remove_user(_domain(request), request.path_params["user_name"])
    return Response(status_code=204)


async def list_clients(request: Request) -> Response:
    domain = _domain(request)
    clients = runtime.clients(domain)
    return JSONResponse(
        {
            "clients": [
                runtime.describe_client(c, runtime.source_of(domain, runtime.CLIENTS, i)) for i, c in clients.items()
            ]
        }
    )


async def get_client(request: Request) -> Response:
    domain = _domain(request)
    client_id = request.path_params["client_id"]
    client = domain.client(client_id, documents=False)
    if client is None:
        raise ControlError(404, f"There is no client {client_id!r} in this identity domain.")
    return JSONResponse(runtime.describe_client(client, runtime.source_of(domain, runtime.CLIENTS, client_id)))


async def put_client(request: Request) -> Response:
    client, created = runtime.put_client(_domain(request), request.path_params["client_id"], await json_body(request))
    return JSONResponse(runtime.describe_client(client, "runtime"), 201 if created else 200)


async def delete_client(request: Request) -> Response:
    runtime.remove_client(_domain(request), request.path_params["client_id"])
    return Response(status_code=204)


async def list_resources(request: Request) -> Response:
    domain = _domain(request)
    return JSONResponse(
        {
            "resources": [
                runtime.describe_resource(r, runtime.source_of(domain, runtime.RESOURCES, r.audience))
                for r in runtime.resources(domain)
            ]
        }
    )


async def put_resource(request: Request) -> Response:
    audience = request.path_params["audience"]
    resource, created = runtime.put_resource(_domain(request), audience, await json_body(request))
    return JSONResponse(runtime.describe_resource(resource, "runtime"), 201 if created else 200)


async def delete_resource(request: Request) -> Response:
    runtime.remove_resource(_domain(request), request.path_params["audience"])
    return Response(status_code=204)


# ---------------------------------------------------------------------------------------------- client metadata


async def list_client_metadata(request: Request) -> Response:
    domain = _domain(request)
    return JSONResponse({"enabled": domain.settings.client_id_metadata_documents, "documents": cimd.listing(domain)})


async def forget_client_metadata(request: Request) -> Response:
    cimd.forget(_domain(request))
    return Response(status_code=204)


# ---------------------------------------------------------------------------------------------- reset, openapi


async def reload_fixtures(request: Request) -> Response:
    """Read this domain's fixture directory again (core/reload.py); a bad edit keeps the old fixtures: 409 with
    every problem."""
    domain = _domain(request)
    outcome = await run_in_threadpool(reload.reload, domain)
    if not outcome.ok:
        raise ControlError(
            409,
            f"The fixtures in {outcome.directory} have {len(outcome.problems)} problem(s); the previous fixtures "
            f"are still served. First: {outcome.problems[0]}",
            list(outcome.problems),
        )
    fixtures = domain.fixtures
    return JSONResponse(
        {
            "reloaded": str(outcome.directory),
            "tenant": domain.tenant,
            "clients": len(fixtures.clients),
            "users": len(fixtures.users),
            "resources": len(fixtures.resources),
        }
    )


async def reset(request: Request) -> Response:
    _domain(request).reset()
    return Response(status_code=204)


async def openapi(request: Request) -> Response:
    root = request.scope.get("root_path", "")  # inside the mount: the domain's root (a tenant prefix) + PREFIX
    return JSONResponse(openapi_document(root if root.endswith(PREFIX) else root + PREFIX))


ROUTES = [
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/faults", list_faults, methods=["GET"]),
    Route("/faults", add_fault, methods=["POST"]),
    Route("/faults", clear_faults, methods=["DELETE"]),
    Route("/faults/{fault_id}", get_fault, methods=["GET"]),
    Route("/faults/{fault_id}", delete_fault, methods=["DELETE"]),
    Route("/clock", get_clock, methods=["GET"]),
    Route("/clock", change_clock, methods=["POST"]),
    Route("/keys", list_keys, methods=["GET"]),
    Route("/keys/rotate", rotate_keys, methods=["POST"]),
    Route("/keys/next", publish_next_key, methods=["POST"]),
    Route("/keys/{kid}", retire_key, methods=["DELETE"]),
    Route("/tokens", mint_token, methods=["POST"]),
    Route("/tokens/check", check_token, methods=["POST"]),
    Route("/console/flows", start_flow, methods=["POST"]),
    Route("/domain", domain_overview, methods=["GET"]),
    Route("/requests", list_requests, methods=["GET"]),
    Route("/requests", clear_requests, methods=["DELETE"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{user_name}", get_user, methods=["GET"]),
    Route("/users/{user_name}", put_user, methods=["PUT"]),
    Route("/users/{user_name}", delete_user, methods=["DELETE"]),
    Route("/clients", list_clients, methods=["GET"]),
    Route("/clients/{client_id}", get_client, methods=["GET"]),
    Route("/clients/{client_id}", put_client, methods=["PUT"]),
    Route("/clients/{client_id}", delete_client, methods=["DELETE"]),
    Route("/resources", list_resources, methods=["GET"]),
    Route("/resources/{audience:path}", put_resource, methods=["PUT"]),
    Route("/resources/{audience:path}", delete_resource, methods=["DELETE"]),
    Route("/client-metadata", list_client_metadata, methods=["GET"]),
    Route("/client-metadata", forget_client_metadata, methods=["DELETE"]),
    Route("/reload", reload_fixtures, methods=["POST"]),
    Route("/reset", reset, methods=["POST"]),
]


def _logged(route: Route) -> Route:
    """A route that changes the domain logs what was done, at info (reads stay quiet; refusals are logged by
    web/errors.py)."""
    if route.methods and route.methods <= {"GET", "HEAD"}:
        return route
    handler = route.endpoint

    async def logged(request: Request) -> Response:
        response = await handler(request)
        log.info("control: %s %s -> %d", request.method, request.url.path, response.status_code)
        return response

    return Route(route.path, logged, methods=list(route.methods or ()), name=route.name)


def mount(token: str | None) -> Mount:
    return Mount(
        PREFIX, routes=[_logged(route) for route in ROUTES], middleware=[Middleware(ControlGuard, token=token)]
    )
