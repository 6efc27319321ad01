"""`/.well-known/*` discovery documents."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.core import discovery
from mockidp.web.context import domain_of, urls_of


def _cimd(request: Request) -> bool:
    return domain_of(request).settings.client_id_metadata_documents


async def openid_configuration(request: Request) -> Response:
    return JSONResponse(discovery.openid_configuration(urls_of(request), client_id_metadata_documents=_cimd(request)))


async def oauth_authorization_server(request: Request) -> Response:
    doc = discovery.oauth_authorization_server(urls_of(request), client_id_metadata_documents=_cimd(request))
    return JSONResponse(doc)


async def idcs_configuration(request: Request) -> Response:
    return JSONResponse(discovery.idcs_configuration(urls_of(request), client_id_metadata_documents=_cimd(request)))


routes = [
    Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", oauth_authorization_server, methods=["GET"]),
    Route("/.well-known/idcs-configuration", idcs_configuration, methods=["GET"]),
]
