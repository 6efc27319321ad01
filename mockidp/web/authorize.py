"""`GET|POST /oauth2/v1/authorize`: an authorization request, answered from the SSO session, by auto-login, or
after the sign-in page. Bad client or redirect URI: an error page; other errors: back to the client."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockidp.core.authorize import authorize
from mockidp.core.errors import ErrorPage, OAuthError
from mockidp.web.browser import authorization_response, current_session, redirect, set_session_cookie
from mockidp.web.context import domain_of, urls_of
from mockidp.web.forms import query_params, read_form

SIGNIN_PATH = "/ui/v1/signin"


async def authorize_endpoint(request: Request) -> Response:
    try:
        params = await read_form(request) if request.method == "POST" else query_params(request)
    except OAuthError as exc:  # before the client is known, every error is a page
        raise ErrorPage(exc.error, exc.description, exc.status) from None
    domain, urls = domain_of(request), urls_of(request)
    outcome = authorize(domain, urls, params, current_session(request), request.app.state.settings.auto_login)
    if outcome.sign_in is not None:
        return redirect(f"{urls.base}{SIGNIN_PATH}?{urlencode({'request_id': outcome.sign_in.id})}")
    assert outcome.response is not None
    response = authorization_response(request, outcome.response)
    if outcome.new_session is not None:
        set_session_cookie(response, request, outcome.new_session)
    return response


routes = [Route("/oauth2/v1/authorize", authorize_endpoint, methods=["GET", "POST"])]
