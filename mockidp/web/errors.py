"""The one place errors become responses: OAuth errors in the IDCS shape `{"error", "error_description",
"ecid"}`, SCIM errors for `/admin/v1`, and anything unexpected as a 500 in the same shape (never a traceback)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockidp.core.errors import ControlError, ErrorPage, OAuthError, ScimError
from mockidp.core.stores import StoreUnavailable
from mockidp.web import pages
from mockidp.web.context import DOMAIN_KEY, UNKNOWN_TENANT_KEY
from mockidp.web.guard import SCIM_SCHEMAS, UNEXPECTED, error_body
from mockidp.web.middleware import ECID_KEY

log = logging.getLogger("mockidp")
OUTCOME_KEY = "mockidp.outcome"  # what went wrong, for the log and the request journal

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    request.scope[OUTCOME_KEY] = {"error": exc.error, "reason": exc.reason}
    log.info("%s %s -> %d %s: %s", request.method, request.url.path, exc.status, exc.error, exc.reason)
    body = {"error": exc.error, "error_description": exc.description, "ecid": request.scope.get(ECID_KEY, "")}
    return JSONResponse(body, exc.status, headers={**NO_STORE, **exc.headers})


def error_page(request: Request, exc: Exception) -> Response:
    """Errors of the browser-facing pages that must not go back to the client: an HTML page, never a redirect."""
    assert isinstance(exc, ErrorPage)
    request.scope[OUTCOME_KEY] = {"error": exc.error, "reason": exc.reason}
    log.info("%s %s -> %d %s: %s", request.method, request.url.path, exc.status, exc.error, exc.reason)
    domain = request.scope.get(DOMAIN_KEY)
    tenant = domain.tenant if domain is not None else ""
    return pages.error_page(tenant, exc.description, request.scope.get(ECID_KEY, ""), exc.reason, exc.status)


def scim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ScimError)
    request.scope[OUTCOME_KEY] = {"error": exc.message_id, "reason": exc.reason}
    log.info("%s %s -> %d %s: %s", request.method, request.url.path, exc.status, exc.message_id, exc.reason)
    body = {
        "schemas": SCIM_SCHEMAS,
        "detail": exc.detail,
        "status": str(exc.status),
        SCIM_SCHEMAS[1]: {"messageId": exc.message_id},
    }
    if exc.scim_type:
        body["scimType"] = exc.scim_type
    return JSONResponse(body, exc.status, media_type="application/scim+json", headers=exc.headers)


CONTROL_ERRORS = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    413: "too_large",
}


def control_error(request: Request, exc: Exception) -> Response:
    """Control-plane errors (`/mockidp/v1`): a short code, a sentence saying what to fix, and every problem."""
    assert isinstance(exc, ControlError)
    log.info("%s %s -> %d: %s", request.method, request.url.path, exc.status, exc.message)
    body = {"error": CONTROL_ERRORS.get(exc.status, "invalid_request"), "error_description": exc.message}
    if exc.problems:
        body["problems"] = exc.problems
    headers = {"WWW-Authenticate": 'Bearer realm="mockidp-control"'} if exc.status == 401 else None
    if exc.status == 408:  # the body never came whole: don't wait for the rest on this connection
        headers = {"Connection": "close"}
    return JSONResponse(body, exc.status, headers=headers)


def http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 from routing, in the OAuth shape."""
    assert isinstance(exc, HTTPException)
    local = request.url.path[len(request.scope.get("root_path", "")) :]
    if local.startswith("/admin/v1/") and exc.status_code in (404, 405):  # the admin API answers in SCIM
        allowed = (exc.headers or {}).get("Allow", "")
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}."
            return scim_error(
                request, ScimError(405, detail, "error.common.common.methodNotAllowed", None, {"Allow": allowed})
            )
        detail = f"There is no resource at {request.url.path}."
        return scim_error(request, ScimError(404, detail, "error.common.common.resourceNotFound"))
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = OAuthError(
            "invalid_request",
            f"{request.method} is not allowed on {request.url.path}; use {allowed}.",
            405,
            headers={"Allow": allowed},
        )
    elif exc.status_code == 404 and request.scope.get(UNKNOWN_TENANT_KEY) is not None:
        tenants = ", ".join(domain.tenant for domain in request.app.state.domains)
        error = OAuthError(
            "not_found",
            f"There is no identity domain {request.scope[UNKNOWN_TENANT_KEY]!r} here; the tenants are {tenants}.",
            404,
        )
    elif exc.status_code == 404:
        error = OAuthError("not_found", f"There is no endpoint at {request.url.path}.", 404)
    else:
        error = OAuthError("invalid_request", str(exc.detail), exc.status_code)
    return oauth_error(request, error)


def unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug let an exception through: a 500 in the shape of the part of the domain called, no traceback in
    the body. The log gets the exception once, from `guard.LastResort`, which this error then reaches."""
    ecid = request.scope.get(ECID_KEY, "")
    request.scope[OUTCOME_KEY] = {"error": "server_error", "reason": f"unexpected {type(exc).__name__}"}
    body = error_body(request.url.path, 500, "server_error", UNEXPECTED, ecid)
    media_type = "application/scim+json" if "schemas" in body else "application/json"
    headers = {**NO_STORE, "X-ORACLE-DMS-ECID": ecid, "X-ORACLE-DMS-RID": "0:1"}
    return JSONResponse(body, 500, headers=headers, media_type=media_type)


# [choice] The real service's 503 texts are not documented; these say what is down and that it passes.
UNAVAILABLE = "The identity domain is temporarily unavailable. Try again later."
RETRY_AFTER = {"Retry-After": "1"}


def store_unavailable(request: Request, exc: Exception) -> Response:
    """The shared store is down: a 503 in the shape of the endpoint asked — SCIM on /admin/v1 (but the JWKS),
    an HTML page on /ui, the control plane's on /mockidp, else OAuth's `temporarily_unavailable`."""
    assert isinstance(exc, StoreUnavailable)
    request.scope[OUTCOME_KEY] = {"error": "temporarily_unavailable", "reason": exc.message}
    root = request.scope.get("root_path", "")
    path = request.url.path[len(root) :] if root and request.url.path.startswith(root) else request.url.path
    reason = f"mockidp: {exc.message}"
    if path.startswith("/admin/v1/") and path != "/admin/v1/SigningCert/jwk":
        error = ScimError(503, f"{UNAVAILABLE} ({reason})", "error.common.common.serviceUnavailable")
        response = scim_error(request, error)
        response.headers.update(RETRY_AFTER)
        return response
    if path.startswith("/ui/"):
        return error_page(request, ErrorPage("temporarily_unavailable", UNAVAILABLE, 503, reason=exc.message))
    if path.startswith("/mockidp/"):
        body = {"error": "temporarily_unavailable", "error_description": exc.message}
        return JSONResponse(body, 503, headers=RETRY_AFTER)
    return oauth_error(
        request, OAuthError("temporarily_unavailable", UNAVAILABLE, 503, reason=exc.message, headers=RETRY_AFTER)
    )


EXCEPTION_HANDLERS = {
    OAuthError: oauth_error,
    ErrorPage: error_page,
    ScimError: scim_error,
    ControlError: control_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
