"""`POST /oauth2/v1/revoke` (RFC 7009): access and refresh tokens. A revoked access token is refused at
userinfo and inactive at introspection; a revoked refresh token cannot be redeemed. Unknown tokens: 200."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mockidp.core import refresh_tokens
from mockidp.core.client_auth import ClientHook, authenticate_client
from mockidp.core.errors import invalid_request, unauthorized_client
from mockidp.core.tokens import TokenRejected, revoke_token_claims, verify_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls


def revoke(
    domain: IdentityDomain,
    urls: Urls,
    params: Mapping[str, str],
    authorization: str | None,
    on_client: ClientHook | None = None,
) -> None:
    client, _ = authenticate_client(domain, urls, params, authorization, on_client)
    token = params.get("token")
    if not token:
        raise invalid_request("The token parameter is required.")
    if token.count(".") == 2:
        try:
            claims = verify_token(domain, token, urls=urls)
        except TokenRejected:
            return  # RFC 7009 §2.2: an invalid token needs no revoking
        _same_client(claims.get("client_id"), client.client_id)
        revoke_token_claims(domain, claims)
        return
    record = refresh_tokens.find(domain, token)
    if record is not None:
        _same_client(record["client_id"], client.client_id)
        refresh_tokens.revoke(domain, token)


def _same_client(owner: object, client_id: str) -> None:
    if owner != client_id:
        raise unauthorized_client(f"client {client_id} tried to revoke a token issued to client {owner}")
