"""`/oauth2/v1/userlogout` without the HTTP (idcs-reference §7; OpenID Connect RP-Initiated Logout 1.0).

Ends the browser's SSO session (and the one an `id_token_hint` names), then sends the browser to the
`post_logout_redirect_uri` with `state` — only if that URI is registered on the client; otherwise an error
page, never a redirect (and the session is left alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockidp.core import runtime, sessions
from mockidp.core.authorize import add_query
from mockidp.core.errors import ErrorPage, OAuthError
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls


def logout(
    domain: IdentityDomain, params: Mapping[str, str], session_id: str | None, urls: Urls | None = None
) -> str | None:
    """End the session; the URL to send the browser to, or None to show the signed-out page."""
    hint = _hint_claims(domain, params.get("id_token_hint") or None, urls)
    redirect = None
    uri = params.get("post_logout_redirect_uri") or None
    if uri is not None:
        _check_registered(domain, uri, params.get("client_id") or None, hint)
        state = params.get("state")
        redirect = uri if state is None else add_query(uri, {"state": state})
    sessions.end(domain, session_id)
    if hint is not None and hint.get("sid"):
        sessions.end_sid(domain, str(hint["sid"]))
    return redirect


def _hint_claims(domain: IdentityDomain, hint: str | None, urls: Urls | None) -> dict[str, Any] | None:
    if hint is None:
        return None
    try:
        # An expired ID token is a fine hint (RP-Initiated Logout §2): it still says who and for which client.
        return verify_token(domain, hint, tok_type="IT", allow_expired=True, urls=urls)
    except TokenRejected as exc:
        raise ErrorPage("invalid_request", f"The id_token_hint cannot be used: {exc}") from None


def _check_registered(domain: IdentityDomain, uri: str, client_id: str | None, hint: dict[str, Any] | None) -> None:
    hinted = str(hint["azp"]) if hint is not None and hint.get("azp") else None
    if client_id and hinted and client_id != hinted:
        raise ErrorPage("invalid_request", f"The client_id {client_id} is not the client of the id_token_hint.")
    client_id = client_id or hinted
    if client_id is not None:
        try:
            client = domain.client(client_id)
        except OAuthError as exc:
            raise ErrorPage(exc.error, exc.description) from None
        if client is None or uri not in client.post_logout_redirect_uris:
            raise ErrorPage(
                "invalid_request",
                f"The post_logout_redirect_uri {uri} is not registered on client {client_id}.",
                reason=f"registered: {', '.join(client.post_logout_redirect_uris) if client else 'no such client'}",
            )
        return
    # [choice] Without a client_id or an id_token_hint, any client's registered URI will do.
    if not any(uri in client.post_logout_redirect_uris for client in runtime.clients(domain).values()):
        raise ErrorPage(
            "invalid_request", f"The post_logout_redirect_uri {uri} is not registered on any client of this domain."
        )
