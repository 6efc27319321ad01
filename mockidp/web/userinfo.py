"""`GET|POST /oauth2/v1/userinfo` with the access token as a Bearer header (or, as RFC 6750 allows,
an `access_token` query or form parameter — one way only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.core.errors import invalid_request, invalid_token
from mockidp.core.userinfo import userinfo
from mockidp.web.context import client_recorder, domain_of, urls_of
from mockidp.web.errors import NO_STORE
from mockidp.web.forms import FORM, query_params, read_form


def bearer_token(request: Request, params: dict[str, str]) -> str | None:
    """The bearer token a request carries in its header or in `access_token`, refusing two at once."""
    header = request.headers.get("authorization")
    in_params = params.get("access_token")
    if header is None:
        return in_params
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise invalid_token('The Authorization header must be "Bearer <access token>".')
    if in_params is not None:
        raise invalid_request("Send the access token once: in the Authorization header or as access_token, not both.")
    return value.strip()


async def userinfo_endpoint(request: Request) -> Response:
    params = query_params(request)
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.split(";", 1)[0].strip().lower() == FORM:
        params.update(await read_form(request))
    claims = userinfo(domain_of(request), bearer_token(request, params), client_recorder(request), urls_of(request))
    return JSONResponse(claims, headers=NO_STORE)


routes = [Route("/oauth2/v1/userinfo", userinfo_endpoint, methods=["GET", "POST"])]
