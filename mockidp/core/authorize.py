"""`/oauth2/v1/authorize` without the HTTP (RFC 6749 §4.1–4.2, OpenID Connect Core §3, RFC 7636, OAuth 2.0
Multiple Response Types and Form Post Response Mode).

An authorization request is checked in two steps, because its errors go to two places:
1. the client and its redirect URI — until both are known good, nothing may be sent to the redirect URI, so
   these errors are an `ErrorPage` shown to the user (idcs-reference §6: "Client <id> requested an invalid
   redirect URL: <url>. ECID: <ecid>");
2. everything else — errors are sent back to the client's redirect URI with `error`, `error_description` and
   `state`, in the response mode the client asked for.
A valid request is then answered from the SSO session, by auto-login, or after the sign-in page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from mockidp.core import codes, sessions, signin, tokens
from mockidp.core.claims import Grant
from mockidp.core.console import debugger
from mockidp.core.errors import ErrorPage, OAuthError, invalid_redirect, invalid_request, unauthorized_client
from mockidp.core.model import AUTHORIZATION_CODE, IMPLICIT, Client

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls
    from mockidp.core.sessions import ActiveSession
    from mockidp.core.signin import PendingSignIn

# Every combination the real discovery document lists (in any order, as OAuth allows).
RESPONSE_TYPES = frozenset(
    frozenset(value.split())
    for value in ("code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token")
)
RESPONSE_MODES = ("query", "fragment", "form_post")
# [choice] consent and select_account are accepted and change nothing: the domain has no consent screen.
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
_MAX_AGE = re.compile(r"\d{1,10}")


@dataclass(frozen=True)
class AuthorizationResponse:
    """What goes back to the client: parameters for its redirect URI, in a response mode."""

    redirect_uri: str
    response_mode: str  # query, fragment or form_post
    params: dict[str, str]
    error: OAuthError | None = None  # set when this is an error response (for the log and journal)

    def location(self) -> str:
        """The URL to redirect to (query and fragment modes)."""
        if self.response_mode == "fragment":
            return f"{self.redirect_uri}#{urlencode(self.params)}"
        return add_query(self.redirect_uri, self.params)


def add_query(uri: str, params: Mapping[str, str]) -> str:
    """`uri` with `params` added to its query (a registered redirect URI may have one already)."""
    parts = urlsplit(uri)
    encoded = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{encoded}" if parts.query else encoded))


@dataclass(frozen=True)
class Outcome:
    """What the authorize endpoint does next: answer the client, or show the sign-in page."""

    response: AuthorizationResponse | None = None
    sign_in: PendingSignIn | None = None
    new_session: ActiveSession | None = None  # a session started here (auto-login): its cookie must be set


@dataclass(frozen=True)
class Target:
    """A client and a redirect URI known to be registered on it: where responses, errors too, may go."""

    client: Client
    redirect_uri: str
    response_mode: str
    state: str | None

    def error(self, exc: OAuthError) -> AuthorizationResponse:
        params = {"error": exc.error, "error_description": exc.description}
        if self.state is not None:
            params["state"] = self.state
        return AuthorizationResponse(self.redirect_uri, self.response_mode, params, exc)


@dataclass(frozen=True)
class AuthorizeRequest:
    target: Target
    response_type: frozenset[str]
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: frozenset[str]
    login_hint: str | None
    max_age: int | None
    params: Mapping[str, str]

    @property
    def client(self) -> Client:
        return self.target.client


def authorize(
    domain: IdentityDomain,
    urls: Urls,
    params: Mapping[str, str],
    session: ActiveSession | None,
    auto_login: bool | str = False,
) -> Outcome:
    """Answer an authorization request. Raises `ErrorPage` when the client or redirect URI is not good."""
    target = check_target(domain, params)
    try:
        request = validate(domain, target, params)
        return _decide(domain, urls, request, session, auto_login)
    except OAuthError as exc:
        return Outcome(response=target.error(exc))


def finish_sign_in(
    domain: IdentityDomain, urls: Urls, pending: PendingSignIn, session: ActiveSession
) -> AuthorizationResponse:
    """The user signed in on the sign-in page: answer the authorization request that sent them there."""
    assert pending.authorize is not None
    target = check_target(domain, pending.authorize)
    try:
        return _complete(domain, urls, validate(domain, target, pending.authorize), session)
    except OAuthError as exc:
        return target.error(exc)


def cancel_sign_in(domain: IdentityDomain, pending: PendingSignIn) -> AuthorizationResponse:
    """The user pressed Cancel on the sign-in page."""
    assert pending.authorize is not None
    target = check_target(domain, pending.authorize)
    return target.error(OAuthError("access_denied", "The user cancelled the sign-in."))


def check_target(domain: IdentityDomain, params: Mapping[str, str]) -> Target:
    """The client and its redirect URI, or the `ErrorPage` (never a redirect to a URI not known to be the client's)."""
    client_id = params.get("client_id")
    if not client_id:
        raise ErrorPage("invalid_request", "The authorization request has no client_id parameter.")
    redirect_uri = params.get("redirect_uri") or ""
    try:
        client = domain.client(client_id)
    except OAuthError as exc:  # a client metadata document that cannot be used: shown, never redirected
        raise ErrorPage(exc.error, exc.description) from None
    if client is None:
        raise invalid_redirect(client_id, redirect_uri, f"no client with client_id {client_id!r} in this domain")
    if not client.active:
        raise invalid_redirect(
            client_id, redirect_uri, f"client {client_id} is deactivated (its App has active: false)"
        )
    if not redirect_uri:
        # [choice] OpenID Connect requires redirect_uri; mockidp requires it for plain OAuth requests too.
        raise invalid_redirect(client_id, redirect_uri, "the request has no redirect_uri parameter")
    debugging = debugger.allows(domain, client_id, redirect_uri, params.get("state"))  # the console's own callback
    if not client.allows_redirect(redirect_uri) and not debugging:
        raise invalid_redirect(
            client_id,
            redirect_uri,
            f"{redirect_uri!r} is not exactly one of the client's redirect_uris: {', '.join(client.redirect_uris)}"
            + (" (its metadata document's; loopback ones match on any port)" if client.metadata_url else ""),
        )
    types = frozenset((params.get("response_type") or "").split())
    default_mode = "fragment" if types & {"token", "id_token"} else "query"
    mode = params.get("response_mode")
    if mode not in RESPONSE_MODES or (mode == "query" and default_mode == "fragment"):
        mode = default_mode
    return Target(client, redirect_uri, mode, params.get("state"))


def validate(domain: IdentityDomain, target: Target, params: Mapping[str, str]) -> AuthorizeRequest:
    """Check everything but the client and redirect URI; errors are `OAuthError`s to send to the client."""
    if "request" in params:
        raise OAuthError("request_not_supported", "Request objects (the request parameter) are not supported.")
    if "request_uri" in params:
        raise OAuthError("request_uri_not_supported", "The request_uri parameter is not supported.")
    mode = params.get("response_mode")
    if mode is not None and mode not in RESPONSE_MODES:
        raise invalid_request(f"The response_mode {mode!r} is not supported; use query, fragment or form_post.")
    raw_type = params.get("response_type")
    if not raw_type:
        raise invalid_request("The response_type parameter is required, e.g. response_type=code.")
    types = frozenset(raw_type.split())
    if types not in RESPONSE_TYPES:
        raise OAuthError(
            "unsupported_response_type",
            f"The response_type {raw_type!r} is not supported; use code, token, id_token, or a combination "
            "such as code id_token.",
        )
    if mode == "query" and types != {"code"}:
        raise invalid_request(f"The response_mode query cannot carry tokens; use fragment or form_post for {raw_type}.")

    client = target.client
    if "code" in types and AUTHORIZATION_CODE not in client.grant_types:
        raise unauthorized_client(f"client {client.client_id} is not allowed grant type 'authorization_code'")
    if types & {"token", "id_token"} and IMPLICIT not in client.grant_types:
        raise unauthorized_client(f"client {client.client_id} is not allowed grant type 'implicit' ({raw_type})")

    resource = params.get("resource")
    scope = params.get("scope") or ""
    scopes = domain.scopes.resolve(client, scope, resource=resource)
    scope = " ".join(scopes.items)  # fully qualified when `resource` named the resource app (RFC 8707)
    if "id_token" in types and not scopes.has("openid"):
        raise invalid_request(f"The response_type {raw_type} returns an ID token: add openid to the scope.")
    if types & {"token", "id_token"} and scopes.multi:
        raise invalid_request("Multi-resource scopes are not available at the authorization endpoint; use a code.")
    nonce = params.get("nonce") or None
    if "id_token" in types and nonce is None:
        raise invalid_request(f"The nonce parameter is required with response_type {raw_type} (OpenID Connect).")

    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None:
        if method is not None:
            raise invalid_request("The code_challenge_method was sent without a code_challenge.")
        if client.is_public and "code" in types:
            raise invalid_request(
                "Public clients must use PKCE: send code_challenge and code_challenge_method=S256 (RFC 7636)."
            )
    else:
        method = method or "plain"  # RFC 7636 §4.3
        if method not in codes.PKCE_METHODS:
            raise invalid_request(f"The code_challenge_method {method!r} is not supported; use S256 or plain.")
        if not codes.PKCE_VALUE.fullmatch(challenge):
            raise invalid_request(
                "The code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~' "
                "(for S256: the base64url SHA-256 of the code_verifier, without padding)."
            )

    prompt = frozenset((params.get("prompt") or "").split())
    if prompt - PROMPTS:
        raise invalid_request(
            f"The prompt value {' '.join(sorted(prompt - PROMPTS))!r} is not supported; use none or login."
        )
    if "none" in prompt and len(prompt) > 1:
        raise invalid_request("prompt=none cannot be combined with other prompt values.")
    raw_max_age = params.get("max_age")
    if raw_max_age is not None and not _MAX_AGE.fullmatch(raw_max_age):
        raise invalid_request(f"The max_age must be a whole number of seconds, got {raw_max_age!r}.")

    return AuthorizeRequest(
        target=target,
        response_type=types,
        scope=scope,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method=method if challenge else None,
        prompt=prompt,
        login_hint=params.get("login_hint") or None,
        max_age=int(raw_max_age) if raw_max_age is not None else None,
        params=dict(params),
    )


def _decide(
    domain: IdentityDomain,
    urls: Urls,
    request: AuthorizeRequest,
    session: ActiveSession | None,
    auto_login: bool | str,
) -> Outcome:
    # max_age=0 asks for a fresh sign-in every time (OpenID Connect Core §3.1.2.1), hence >=.
    too_old = (
        session is not None
        and request.max_age is not None
        and domain.clock.now() - session.session.auth_time >= request.max_age
    )
    if session is not None and not too_old and "login" not in request.prompt:
        return Outcome(response=_complete(domain, urls, request, session))
    if "none" in request.prompt:
        if too_old:
            raise OAuthError("login_required", f"The user signed in more than max_age={request.max_age} seconds ago.")
        raise OAuthError("login_required", "The user is not signed in, and prompt=none forbids the sign-in page.")
    if auto_login is not False:
        user = signin.auto_login_user(domain, auto_login, request.login_hint)
        if user is None:
            named = request.login_hint or auto_login
            raise OAuthError("login_required", f"Auto-login: {named!r} is not a user of this identity domain.")
        if session is not None:
            sessions.end(domain, session.id)
        started = sessions.start(domain, user)
        return Outcome(response=_complete(domain, urls, request, started), new_session=started)
    pending = signin.begin(
        domain, client_id=request.client.client_id, login_hint=request.login_hint, authorize=request.params
    )
    return Outcome(sign_in=pending)


def _complete(
    domain: IdentityDomain, urls: Urls, request: AuthorizeRequest, active: ActiveSession
) -> AuthorizationResponse:
    """Issue what the response type asks for, to the signed-in user."""
    client, user, types = request.client, active.user, request.response_type
    scopes = domain.scopes.resolve(client, request.scope, user)
    params: dict[str, str] = {}
    code = access_token = None
    if "code" in types:
        code = params["code"] = codes.issue(
            domain,
            client=client,
            user_name=user.user_name,
            redirect_uri=request.target.redirect_uri,
            scope=" ".join(scopes.items),
            session=active.session,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
        )
    grant = Grant(client, scopes, IMPLICIT, user=user, session=active.session, nonce=request.nonce)
    now = int(domain.clock.now())
    if "token" in types:
        signed, ttl = tokens.sign_access_tokens(domain, urls, grant, now)
        access_token = signed[0].token
        params.update({"access_token": access_token, "token_type": "Bearer", "expires_in": str(ttl)})
    if "id_token" in types:
        params["id_token"] = tokens.sign_id_token(domain, urls, grant, now, access_token=access_token, code=code).token
    if request.target.state is not None:
        params["state"] = request.target.state
    return AuthorizationResponse(request.target.redirect_uri, request.target.response_mode, params)
