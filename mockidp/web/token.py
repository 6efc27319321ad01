"""`/oauth2/v1/token`, `/oauth2/v1/introspect`, `/oauth2/v1/revoke`: form in, JSON out, client-authenticated."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.core.introspection import introspect
from mockidp.core.revocation import revoke
from mockidp.core.token_endpoint import token
from mockidp.web.context import client_recorder, domain_of, urls_of
from mockidp.web.errors import NO_STORE
from mockidp.web.forms import read_form


async def token_endpoint(request: Request) -> Response:
    params = await read_form(request)
    body = token(
        domain_of(request), urls_of(request), params, request.headers.get("authorization"), client_recorder(request)
    )
    return JSONResponse(body, headers=NO_STORE)


async def introspect_endpoint(request: Request) -> Response:
    params = await read_form(request)
    authorization = request.headers.get("authorization")
    body = introspect(domain_of(request), urls_of(request), params, authorization, client_recorder(request))
    return JSONResponse(body, headers=NO_STORE)


async def revoke_endpoint(request: Request) -> Response:
    params = await read_form(request)
    revoke(domain_of(request), urls_of(request), params, request.headers.get("authorization"), client_recorder(request))
    return Response(status_code=200, headers=NO_STORE)


routes = [
    Route("/oauth2/v1/token", token_endpoint, methods=["POST"]),
    Route("/oauth2/v1/introspect", introspect_endpoint, methods=["POST"]),
    Route("/oauth2/v1/revoke", revoke_endpoint, methods=["POST"]),
]
