"""`/admin/v1/…`: the SCIM admin REST API, a thin translation between HTTP and `mockidp.core.admin`.

Every resource type of `RESOURCE_TYPES` gets `GET|POST /admin/v1/{Type}`, `POST /{Type}/.search` and
`GET|PUT|PATCH|DELETE /{Type}/{id}` (a singleton such as `Me`: `GET|PUT|PATCH /{Type}`); the discovery
documents are `ServiceProviderConfig`, `ResourceTypes` and `Schemas`. Authentication: a Bearer access token of
this domain, or an OCI request signature (`Authorization: Signature keyId=…`), which
`mockidp.core.admin.signatures.authenticate(domain, method, path, headers, body) -> Caller` checks.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.web.context import domain_of, urls_of
from mockidp.web.guard import BodyTimeout

SCIM_JSON = "application/scim+json"
BODY_KEY = "mockidp.admin_body"  # the parsed JSON body, for the request journal (which redacts passwords)
JSON_TYPES = frozenset({"application/json", SCIM_JSON, ""})


def _engine() -> ModuleType:
    """The admin engine (`mockidp.core.admin` and its modules as attributes), imported on the first /admin/v1
    request only, so start-up does not pay for it."""
    import mockidp.core.admin.caller
    import mockidp.core.admin.discovery
    import mockidp.core.admin.errors
    import mockidp.core.admin.listing
    import mockidp.core.admin.meta
    import mockidp.core.admin.patch  # noqa: F401 - imported to be an attribute of the package

    return sys.modules["mockidp.core.admin"]


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status, headers=headers, media_type=SCIM_JSON)


def _base(request: Request) -> str:
    return urls_of(request).base


def _params(request: Request) -> dict[str, list[str]]:
    raw = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return parse_qs(raw, keep_blank_values=True)


async def _caller(request: Request, body: bytes):  # noqa: ANN202 - a Caller
    engine = _engine()
    caller, errors = engine.caller, engine.errors
    domain = domain_of(request)
    header = request.headers.get("authorization", "").strip()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "signature":
        try:
            from mockidp.core.admin import signatures  # written by the OCI-signature work (wip-oci)
        except ImportError:
            raise errors.unauthorized("OCI request signatures are not accepted yet; use a Bearer token.") from None
        return signatures.authenticate(domain, request.method, _target(request), dict(request.headers), body)
    if header and scheme.lower() != "bearer":
        raise errors.unauthorized('The Authorization header must be "Bearer <access token>".')
    return caller.from_token(domain, value.strip() or None)


def _target(request: Request) -> str:
    """The request target as the client signed it: path and query, undecoded (`raw_path`, when the server gives it)."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.scope["path"]
    return path + (f"?{query}" if query else "")


async def _body(request: Request) -> bytes:
    settings = request.app.state.settings
    errors = _engine().errors
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise errors.too_large(f"The request body is larger than {settings.max_body_bytes} bytes.")
    except BodyTimeout as exc:  # the body deadline of web/guard.py, in the SCIM shape
        raise errors.ScimError(
            408, exc.description, "error.common.common.requestTimeout", headers=exc.headers
        ) from None
    except ClientDisconnect:
        raise errors.invalid_syntax("The client closed the connection before sending the whole body.") from None
    return body


def _json(request: Request, body: bytes) -> Any:
    errors = _engine().errors
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise errors.invalid_syntax(f"Send the body as {SCIM_JSON} or application/json, not {content_type}.")
    if not body.strip():
        raise errors.invalid_syntax("The request needs a JSON body.")
    from mockidp.web import json_input  # only admin calls with a body need it: not at start-up

    try:
        parsed = json_input.parse(body)  # strict: depth, NaN, huge numbers, duplicate keys (as the control plane)
    except json_input.JsonInputError as exc:
        raise errors.invalid_syntax(str(exc)) from None
    request.scope[BODY_KEY] = parsed
    return parsed


def _type(endpoint: str):  # noqa: ANN202 - a ResourceType
    admin = _engine()
    found = admin.RESOURCE_TYPES.get(endpoint)
    if found is None:
        raise _engine().errors.ScimError(
            404,
            f"There is no resource type {endpoint} under /admin/v1; the types are {', '.join(admin.RESOURCE_TYPES)}.",
            "error.common.common.resourceTypeNotFound",
        )
    return found


def _not_allowed(request: Request, allowed: str) -> Exception:
    return _engine().errors.method_not_allowed(
        f"{request.method} is not allowed on {request.url.path}; use {allowed}.", allowed
    )


def _one(request: Request, resource_type: Any, resource: dict[str, Any], status: int = 200) -> Response:
    listing, meta = _engine().listing, _engine().meta
    projection = listing.projection_from(_params(request))
    shown = meta.absolute(listing.project(resource, resource_type, projection), _base(request))
    headers = {}
    tag = meta.etag(resource)
    if tag:
        headers["ETag"] = tag
    if status == 201:
        headers["Location"] = shown.get("meta", {}).get("location", "")
    return scim_response(shown, status, headers)


def _current(domain: Any, resource_type: Any, resource_id: str) -> dict[str, Any]:
    get = resource_type.operations.get
    found = get(domain, resource_id) if get else None
    if found is None:
        raise _engine().errors.not_found(resource_type.name, resource_id)
    return found


def _check_version(request: Request, resource: dict[str, Any]) -> None:
    meta = _engine().meta
    if not meta.matches_etag(resource, request.headers.get("if-match")):
        raise _engine().errors.precondition_failed(
            f"The resource is at version {resource.get('meta', {}).get('version')}, not the If-Match "
            f"{request.headers.get('if-match')}; read it again."
        )


# ---------------------------------------------------------------------------------------------- handlers


async def collection(request: Request) -> Response:
    engine = _engine()
    caller_mod, listing, meta = engine.caller, engine.listing, engine.meta
    resource_type = _type(request.path_params["endpoint"])
    body = await _body(request)
    caller = await _caller(request, body)
    domain = domain_of(request)
    if resource_type.singleton:
        return await _singleton(request, resource_type, caller, body)
    operations = resource_type.operations
    if request.method not in ("GET", "POST"):
        raise _not_allowed(request, "GET, POST")
    if request.method == "GET":
        if not operations.listable:
            raise _not_allowed(request, "POST" if operations.create else "")
        caller_mod.check(caller, resource_type, write=False)
        result, following = listing.run(domain, resource_type, listing.query_from(_params(request)), caller)
        headers = {"opc-next-page": str(following)} if following else None
        return scim_response(meta.absolute(result, _base(request)), headers=headers)
    if operations.create is None:
        raise _not_allowed(request, "GET")
    caller_mod.check(caller, resource_type, write=True)
    created = operations.create(domain, _json(request, body), caller)
    return _one(request, resource_type, created, 201)


async def search(request: Request) -> Response:
    engine = _engine()
    caller_mod, listing, meta = engine.caller, engine.listing, engine.meta
    resource_type = _type(request.path_params["endpoint"])
    body = await _body(request)
    caller = await _caller(request, body)
    if not resource_type.operations.listable:
        raise _not_allowed(request, "")
    caller_mod.check(caller, resource_type, write=False)
    query = listing.query_from_search(_json(request, body))
    result, following = listing.run(domain_of(request), resource_type, query, caller)
    headers = {"opc-next-page": str(following)} if following else None
    return scim_response(meta.absolute(result, _base(request)), headers=headers)


async def item(request: Request) -> Response:
    engine = _engine()
    caller_mod, patch = engine.caller, engine.patch
    resource_type = _type(request.path_params["endpoint"])
    resource_id = request.path_params["id"]
    body = await _body(request)
    caller = await _caller(request, body)
    domain = domain_of(request)
    operations = resource_type.operations
    if resource_type.singleton:
        raise _engine().errors.not_found(resource_type.name, resource_id)
    if request.method == "POST":
        raise _not_allowed(request, "GET, PUT, PATCH, DELETE")
    if request.method == "GET":
        caller_mod.check(caller, resource_type, write=False)
        return _one(request, resource_type, _current(domain, resource_type, resource_id))
    caller_mod.check(caller, resource_type, write=True)
    if request.method == "DELETE":
        if operations.delete is None:
            raise _not_allowed(request, "GET")
        _check_version(request, _current(domain, resource_type, resource_id))
        operations.delete(domain, resource_id, caller)
        return Response(status_code=204)
    if operations.replace is None:
        raise _not_allowed(request, "GET")
    current = _current(domain, resource_type, resource_id)
    _check_version(request, current)
    parsed = _json(request, body)
    if request.method == "PATCH":
        parsed = patch.apply(current, parsed, resource_type)
    replaced = operations.replace(domain, resource_id, parsed, caller)
    return _one(request, resource_type, replaced)


async def _singleton(request: Request, resource_type: Any, caller: Any, body: bytes) -> Response:
    """`/admin/v1/Me`: the caller's own resource (a user's token only)."""
    engine = _engine()
    caller_mod, errors, patch = engine.caller, engine.errors, engine.patch
    domain = domain_of(request)
    caller_mod.check(caller, resource_type, write=request.method != "GET")
    if caller.kind != "user" or caller.user_id is None:
        raise errors.forbidden(f"{resource_type.endpoint} is the signed-in user's own resource: use a user's token.")
    if request.method == "GET":
        return _one(request, resource_type, _current(domain, resource_type, caller.user_id))
    if request.method not in ("PUT", "PATCH"):
        raise _not_allowed(request, "GET, PUT, PATCH")
    current = _current(domain, resource_type, caller.user_id)
    _check_version(request, current)
    parsed = _json(request, body)
    if request.method == "PATCH":
        parsed = patch.apply(current, parsed, resource_type)
    assert resource_type.operations.replace is not None
    return _one(request, resource_type, resource_type.operations.replace(domain, caller.user_id, parsed, caller))


def _discovery(name: str):  # noqa: ANN202 - a handler serving one discovery document (no state in it)
    async def document(request: Request) -> Response:
        discovery = _engine().discovery
        if request.method != "GET":
            raise _not_allowed(request, "GET")
        return scim_response(_absolute(request, discovery.document(name, request.path_params.get("id"))))

    return document


def _absolute(request: Request, body: Any) -> Any:
    return _engine().meta.absolute(body, _base(request))


routes = [
    *(
        Route(f"/admin/v1/{name}{tail}", _discovery(name), methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        for name in ("ServiceProviderConfig", "ResourceTypes", "Schemas")
        for tail in ("", "/{id:path}")
    ),
    Route("/admin/v1/{endpoint}/.search", search, methods=["POST"]),
    Route("/admin/v1/{endpoint}", collection, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    Route("/admin/v1/{endpoint}/{id}", item, methods=["GET", "PUT", "PATCH", "DELETE", "POST"]),
]
