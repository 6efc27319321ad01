"""`GET /admin/v1/SigningCert/jwk`: the domain's signing keys. With `jwks_requires_auth` ("Configure client
access" off in the real console) an anonymous call gets the SCIM 401 and a Bearer access token is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.core.errors import scim_unauthorized
from mockidp.core.model import DEFAULT_KEY_OPS
from mockidp.core.tokens import TokenRejected, verify_token
from mockidp.web.context import domain_of
from mockidp.web.userinfo import bearer_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

PATH = "/admin/v1/SigningCert/jwk"


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
    return JSONResponse(jwks_document(domain))


def jwks_document(domain: IdentityDomain) -> dict[str, Any]:
    document = domain.keys.jwks()
    key_ops = domain.settings.jwks_key_ops
    if key_ops != DEFAULT_KEY_OPS:  # a client-quirk switch (docs/client-compatibility.md)
        document = {"keys": [_with_key_ops(key, key_ops) for key in document["keys"]]}
    return document


def _with_key_ops(key: dict[str, Any], key_ops: tuple[str, ...]) -> dict[str, Any]:
    """The key with `key_ops` as the fixtures say (in its place among the members), or without it for ()."""
    if not key_ops:
        return {name: value for name, value in key.items() if name != "key_ops"}
    return {name: list(key_ops) if name == "key_ops" else value for name, value in key.items()}


routes = [Route(PATH, signing_cert_jwk, methods=["GET"])]
