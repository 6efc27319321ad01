"""`GET /admin/v1/SigningCert/jwk`: the domain's signing keys. With `jwks_requires_auth` ("Configure client
access" off in the real console) an anonymous call gets the SCIM 401 and a Bearer access token is needed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.core.errors import scim_unauthorized
from mockidp.core.tokens import TokenRejected, verify_token
from mockidp.web.context import domain_of
from mockidp.web.userinfo import bearer_token


async def signing_cert_jwk(request: Request) -> Response:
    domain = domain_of(request)
    if domain.settings.jwks_requires_auth:
        token = bearer_token(request, {})
        if token is None:
            raise scim_unauthorized()
        try:
            verify_token(domain, token)
        except TokenRejected:
            raise scim_unauthorized() from None
    return JSONResponse(domain.keys.jwks())


routes = [Route("/admin/v1/SigningCert/jwk", signing_cert_jwk, methods=["GET"])]
