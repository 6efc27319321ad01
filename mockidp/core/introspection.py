"""`POST /oauth2/v1/introspect` (RFC 7662): an authenticated client asks whether a token is active.

Access tokens: their claims plus `"active": true, "token_type": "JWT"`. Refresh tokens: what they grant.
Anything unknown, expired, revoked or forged: `{"active": false}` (idcs-reference §7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockidp.core import refresh_tokens
from mockidp.core.client_auth import ClientHook, authenticate_client
from mockidp.core.errors import invalid_request
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

INACTIVE = {"active": False}


def introspect(
    domain: IdentityDomain,
    urls: Urls,
    params: Mapping[str, str],
    authorization: str | None,
    on_client: ClientHook | None = None,
) -> dict[str, Any]:
    authenticate_client(domain, urls, params, authorization, on_client)
    token = params.get("token")
    if not token:
        raise invalid_request("The token parameter is required.")
    hint = params.get("token_type_hint")
    if hint not in (None, "access_token", "refresh_token"):
        raise invalid_request("token_type_hint must be access_token or refresh_token.")
    if token.count(".") == 2:
        try:
            return {**verify_token(domain, token, urls=urls), "active": True, "token_type": "JWT"}
        except TokenRejected:
            return dict(INACTIVE)
    record = refresh_tokens.find(domain, token)
    if record is None:
        return dict(INACTIVE)
    result = {
        "active": True,
        "token_type": "refresh_token",
        "client_id": record["client_id"],
        "scope": record["scope"],
        "iat": record["iat"],
        "exp": record["exp"],
    }
    if record["user"]:
        result["sub"] = record["user"]
    return result
