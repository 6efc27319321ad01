"""The device authorization grant's two faces: `POST /oauth2/v1/device` for the device (JSON), and the
verification page `/ui/v1/device` for the user (enter the code, sign in, allow or deny)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockidp.core import device, sessions, signin
from mockidp.core.errors import ErrorPage
from mockidp.core.signin import check_csrf
from mockidp.web import pages
from mockidp.web.browser import check_same_origin, current_session, redirect, set_session_cookie
from mockidp.web.context import domain_of, urls_of
from mockidp.web.errors import NO_STORE
from mockidp.web.forms import query_params, read_form

VERIFICATION_PATH = device.VERIFICATION_PATH
SIGNIN_PATH = "/ui/v1/signin"


async def device_authorization(request: Request) -> Response:
    params = await read_form(request)
    body = device.start(domain_of(request), urls_of(request), params, request.headers.get("authorization"))
    return JSONResponse(body, headers=NO_STORE)


def device_code_page(request: Request, *, user_code: str = "", message: str | None = None) -> Response:
    return pages.device_code_page(
        tenant=domain_of(request).tenant,
        action=request.scope.get("root_path", "") + VERIFICATION_PATH,
        user_code=user_code,
        message=message,
    )


async def verification_page(request: Request) -> Response:
    domain, urls = domain_of(request), urls_of(request)
    typed = query_params(request).get("user_code")
    if typed is None:
        return device_code_page(request)
    try:
        record = device.lookup(domain, typed)
    except device.UserCodeRejected as exc:
        return device_code_page(request, user_code=typed, message=str(exc))

    active, started = current_session(request), None
    if active is None:
        auto = signin.auto_login_user(domain, request.app.state.settings.auto_login, None)
        if auto is None:
            pending = signin.begin(domain, client_id=record.client_id, user_code=record.user_code)
            return redirect(f"{urls.base}{SIGNIN_PATH}?{urlencode({'request_id': pending.id})}")
        active = started = sessions.start(domain, auto)
    client = domain.client(record.client_id)
    response = pages.device_confirm_page(
        tenant=domain.tenant,
        action=request.scope.get("root_path", "") + VERIFICATION_PATH,
        fields={"user_code": record.user_code, "csrf_token": record.csrf},
        client_name=client.display_name if client else record.client_id,
        scopes=record.scope.split(),
        user=active.user.user_name,
        logout=f"{urls.base}/oauth2/v1/userlogout",
    )
    if started is not None:
        set_session_cookie(response, request, started)
    return response


async def verification_form(request: Request) -> Response:
    domain, urls = domain_of(request), urls_of(request)
    form = await read_form(request)
    check_same_origin(request)
    try:
        record = device.lookup(domain, form.get("user_code", ""))
    except device.UserCodeRejected as exc:
        return device_code_page(request, message=str(exc))
    check_csrf(record.csrf, form.get("csrf_token"))
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        raise ErrorPage("invalid_request", "The decision field must be approve or deny.")
    active = current_session(request)
    if active is None:  # the session ended while the page was open: sign in again
        return redirect(f"{urls.base}{VERIFICATION_PATH}?{urlencode({'user_code': record.user_code})}")
    device.decide(domain, record, active, approve=decision == "approve")
    if decision == "approve":
        return pages.message_page(
            tenant=domain.tenant, title="Device connected", text="You can return to your device now."
        )
    return pages.message_page(
        tenant=domain.tenant, title="Access denied", text="The device was not given access. You can close this page."
    )


routes = [
    Route("/oauth2/v1/device", device_authorization, methods=["POST"]),
    Route(VERIFICATION_PATH, verification_page, methods=["GET"]),
    Route(VERIFICATION_PATH, verification_form, methods=["POST"]),
]
