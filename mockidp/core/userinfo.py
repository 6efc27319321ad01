"""`/oauth2/v1/userinfo`: the user's claims by the scopes of the access token (idcs-reference §7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core.claims import userinfo_claims
from mockidp.core.client_auth import ClientHook
from mockidp.core.errors import OAuthError, invalid_token
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls


def userinfo(
    domain: IdentityDomain,
    access_token: str | None,
    on_client: ClientHook | None = None,
    urls: Urls | None = None,
) -> dict[str, Any]:
    if not access_token:
        raise invalid_token("The request has no access token: send it as Authorization: Bearer <token>.")
    try:
        claims = verify_token(domain, access_token, urls=urls)
    except TokenRejected as exc:
        raise invalid_token(str(exc)) from None
    try:
        client = domain.client(str(claims.get("client_id")))
    except OAuthError:  # a metadata-document client whose document is gone now: the token still says who
        client = None
    if on_client is not None and client is not None:
        on_client(client, "access_token")
    if claims.get("sub_type") != "user":
        raise invalid_token("The access token was issued to a client, not a user; userinfo needs a user's token.")
    user = domain.user(str(claims.get("sub")))
    if user is None:
        raise invalid_token("The user of this access token no longer exists.")
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        raise OAuthError(
            "insufficient_scope",
            "The access token lacks the openid scope that userinfo needs.",
            403,
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'},
        )
    return userinfo_claims(domain, user, scopes)
