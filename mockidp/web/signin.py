"""`/ui/v1/signin`: the sign-in page (GET) and its form (POST).

Form fields (DESIGN.md): `username` and `password`; every other input is hidden and posted back unchanged
(`request_id`, `csrf_token`), so a script can sign in without a browser. A one-click button posts `username`
alone; `cancel` cancels. After a sign-in the browser goes where the sign-in was started from: back to the client
with the authorization response, or back to the device verification page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockidp.core import authorize, device, sessions, signin
from mockidp.core.errors import OAuthError
from mockidp.core.signin import PendingSignIn, WrongCredentials
from mockidp.web import pages
from mockidp.web.browser import (
    authorization_response,
    check_same_origin,
    redirect,
    session_id,
    set_session_cookie,
)
from mockidp.web.context import domain_of, urls_of
from mockidp.web.device import VERIFICATION_PATH, device_code_page
from mockidp.web.errors import OUTCOME_KEY, log
from mockidp.web.forms import query_params, read_form

PATH = "/ui/v1/signin"


def _page(
    request: Request, pending: PendingSignIn, *, username: str = "", message: str | None = None, status: int = 200
) -> Response:
    domain = domain_of(request)
    try:
        client = domain.client(pending.client_id) if pending.client_id else None
    except OAuthError:  # a metadata document that went bad during the sign-in: the authorize step will say why
        client = None
    return pages.sign_in_page(
        tenant=domain.tenant,
        action=request.scope.get("root_path", "") + PATH,
        fields={"request_id": pending.id, "csrf_token": pending.csrf},
        client_name=client.display_name if client else "the identity domain",
        users=[(user.user_name, user.display_name or user.name or user.user_name) for user in signin.users(domain)],
        username=username,
        message=message,
        status=status,
    )


async def signin_page(request: Request) -> Response:
    pending = signin.find(domain_of(request), query_params(request).get("request_id"))
    return _page(request, pending, username=pending.login_hint or "")


async def signin_form(request: Request) -> Response:
    domain, urls = domain_of(request), urls_of(request)
    form = await read_form(request)
    pending = signin.find(domain, form.get("request_id"))
    check_same_origin(request)
    signin.check_csrf(pending.csrf, form.get("csrf_token"))

    if "cancel" in form:
        signin.finish(domain, pending)
        if pending.authorize is not None:
            return authorization_response(request, authorize.cancel_sign_in(domain, pending))
        return _deny_device(request, pending)

    username = form.get("username", "")
    if "password" in form:
        try:
            user = signin.check_password(domain, username, form["password"])
        except WrongCredentials as exc:
            request.scope[OUTCOME_KEY] = {"error": "invalid_credentials", "reason": str(exc)}
            log.info("sign-in refused: %s", exc)
            message = signin.DEACTIVATED if isinstance(exc, signin.UserDeactivated) else signin.WRONG_CREDENTIALS
            return _page(request, pending, username=username, message=message, status=401)
    else:  # a one-click button
        found = domain.user(username)
        if found is None:
            return _page(request, pending, message=f"There is no user {username!r} in this domain.", status=400)
        if not found.active:
            request.scope[OUTCOME_KEY] = {"error": "user_deactivated", "reason": f"{username!r} is deactivated"}
            return _page(request, pending, username=username, message=signin.DEACTIVATED, status=401)
        user = found

    signin.finish(domain, pending)
    sessions.end(domain, session_id(request))
    active = sessions.start(domain, user)
    if pending.authorize is not None:
        response = authorization_response(request, authorize.finish_sign_in(domain, urls, pending, active))
    else:
        response = redirect(f"{urls.base}{VERIFICATION_PATH}?{urlencode({'user_code': pending.user_code})}")
    set_session_cookie(response, request, active)
    return response


def _deny_device(request: Request, pending: PendingSignIn) -> Response:
    domain = domain_of(request)
    try:
        record = device.lookup(domain, pending.user_code or "")
    except device.UserCodeRejected as exc:
        return device_code_page(request, message=str(exc))
    device.decide(domain, record, None, approve=False)
    return pages.message_page(
        tenant=domain.tenant, title="Access denied", text="The device was not given access. You can close this page."
    )


routes = [
    Route(PATH, signin_page, methods=["GET"]),
    Route(PATH, signin_form, methods=["POST"]),
]
