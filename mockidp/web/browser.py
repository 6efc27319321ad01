"""What the browser-facing endpoints share: the SSO session cookie, the same-origin check for posted forms,
redirects, and sending an authorization response back to the client."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mockidp.core import sessions
from mockidp.core.authorize import AuthorizationResponse
from mockidp.core.errors import ErrorPage
from mockidp.core.sessions import ActiveSession
from mockidp.web import pages
from mockidp.web.context import domain_of, urls_of
from mockidp.web.errors import OUTCOME_KEY, log

SESSION_COOKIE = "mockidp_session"  # [choice] the real cookie names are not documented; it holds only an opaque id


def session_id(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def current_session(request: Request) -> ActiveSession | None:
    return sessions.find(domain_of(request), session_id(request))


def _cookie_path(request: Request) -> str:
    return request.scope.get("root_path") or "/"  # a /tenants/<tenant> domain keeps its own session


def set_session_cookie(response: Response, request: Request, active: ActiveSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        active.id,
        path=_cookie_path(request),
        httponly=True,
        samesite="lax",
        secure=urls_of(request).base.startswith("https:"),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(request), httponly=True, samesite="lax")


def check_same_origin(request: Request) -> None:
    """A form posted by a browser carries `Origin`; refuse one posted from another site's page. (Scripts that
    send no Origin are fine: they still need the page's CSRF token.)"""
    origin = request.headers.get("origin")
    if origin is None:
        return
    base = urlsplit(urls_of(request).base)
    if origin != f"{base.scheme}://{base.netloc}":
        raise ErrorPage(
            "invalid_request",
            "The form was posted from another site; sign in on the identity domain's own page.",
            403,
            reason=f"Origin {origin!r} is not {base.scheme}://{base.netloc}",
        )


def redirect(url: str) -> Response:
    return RedirectResponse(url, 302, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def authorization_response(request: Request, response: AuthorizationResponse) -> Response:
    """Send an authorization response (or error) to the client: a redirect, or the form_post page."""
    if response.error is not None:
        error = response.error
        request.scope[OUTCOME_KEY] = {"error": error.error, "reason": error.reason}
        log.info("%s %s -> redirect with %s: %s", request.method, request.url.path, error.error, error.reason)
    if response.response_mode == "form_post":
        return pages.form_post(response.redirect_uri, response.params)
    return redirect(response.location())
