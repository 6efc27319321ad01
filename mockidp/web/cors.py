"""CORS for browser apps on other origins, at the endpoints a browser app calls directly.

- Discovery and JWKS are public documents: every origin may read them (`Access-Control-Allow-Origin: *`).
- Token, introspect, revoke and userinfo: origins come from the clients' `cors_origins` in fixtures.
  [choice] A preflight carries no body and no credentials, so it cannot say which client is asking: it is
  answered for an origin that *some* client of the domain allows. The real request then names its client
  (client authentication, or the access token's `client_id` at userinfo), and the response is readable only
  by an origin of *that* client; if the request fails before a client is known (e.g. invalid_client), an
  origin that some client allows may read the error. An origin that is not allowed is never echoed back.
- A refused preflight is answered 403 with an OAuth error saying what to change, so that it shows up
  readably in the browser's network panel and in curl.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockidp.core.domain import IdentityDomain
from mockidp.core.errors import OAuthError
from mockidp.web.context import CLIENT_KEY, DOMAIN_KEY
from mockidp.web.errors import oauth_error

PUBLIC = {
    "/.well-known/openid-configuration": "GET",
    "/.well-known/oauth-authorization-server": "GET",
    "/.well-known/idcs-configuration": "GET",
    "/admin/v1/SigningCert/jwk": "GET",
}
BY_CLIENT = {
    "/oauth2/v1/token": "POST",
    "/oauth2/v1/introspect": "POST",
    "/oauth2/v1/revoke": "POST",
    "/oauth2/v1/userinfo": "GET, POST",
}
ALLOWED_HEADERS = ("authorization", "content-type", "accept")
EXPOSED_HEADERS = "X-ORACLE-DMS-ECID, X-ORACLE-DMS-RID, WWW-Authenticate"
MAX_AGE = "600"


class Cors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        methods = PUBLIC.get(path) or BY_CLIENT.get(path)
        origin = Headers(scope=scope).get("origin") if methods else None
        if methods is None or origin is None:
            await self.app(scope, receive, send)
            return
        public = path in PUBLIC
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response = self._preflight(scope, headers, origin, methods, public)
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if public:
                    response_headers["Access-Control-Allow-Origin"] = "*"
                else:
                    response_headers.add_vary_header("Origin")
                    if _allowed(scope, origin):
                        response_headers["Access-Control-Allow-Origin"] = origin
                if "access-control-allow-origin" in response_headers:
                    response_headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, scope: Scope, headers: Headers, origin: str, methods: str, public: bool) -> Response:
        path = _route_path(scope)
        method = headers["access-control-request-method"].strip().upper()
        asked = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
        refused_headers = [h for h in asked if h not in ALLOWED_HEADERS]
        domain: IdentityDomain = scope[DOMAIN_KEY]
        if method not in methods.split(", "):
            problem = f"{method} is not allowed on {path} from a browser; use {methods}."
        elif refused_headers:
            problem = (
                f"The header {refused_headers[0]} is not allowed on {path} from a browser; "
                f"allowed: {', '.join(ALLOWED_HEADERS)}."
            )
        elif not public and origin not in domain.cors_origins:
            problem = (
                f"The origin {origin} may not call {path} from a browser: add it to cors_origins of the client "
                "in the fixtures."
            )
        else:
            return Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*" if public else origin,
                    "Access-Control-Allow-Methods": methods,
                    "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                    "Access-Control-Max-Age": MAX_AGE,
                    "Vary": "Origin",
                },
            )
        return oauth_error(Request(scope), OAuthError("invalid_request", problem, 403, headers={"Vary": "Origin"}))


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _allowed(scope: Scope, origin: str) -> bool:
    """The origin may read this response: its client's origin, or any client's before a client is known."""
    domain: IdentityDomain = scope[DOMAIN_KEY]
    client_id = scope.get(CLIENT_KEY)
    if client_id is None:
        return origin in domain.cors_origins
    client = domain.client(client_id, documents=False)  # metadata-document clients have no CORS origins
    return client is not None and origin in client.cors_origins
