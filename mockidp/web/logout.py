"""`GET|POST /oauth2/v1/userlogout`: end the SSO session, then back to a registered post_logout_redirect_uri."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockidp.core.logout import logout
from mockidp.web import pages
from mockidp.web.browser import clear_session_cookie, redirect, session_id
from mockidp.web.context import domain_of, urls_of
from mockidp.web.forms import FORM, query_params, read_form


async def logout_endpoint(request: Request) -> Response:
    params = query_params(request)
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.split(";", 1)[0].strip().lower() == FORM:
        params.update(await read_form(request))
    domain = domain_of(request)
    target = logout(domain, params, session_id(request), urls_of(request))
    if target is not None:
        response = redirect(target)
    else:
        response = pages.message_page(
            tenant=domain.tenant, title="Signed out", text="You have signed out of the identity domain."
        )
    clear_session_cookie(response, request)
    return response


routes = [Route("/oauth2/v1/userlogout", logout_endpoint, methods=["GET", "POST"])]
