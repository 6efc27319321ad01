"""The token endpoint's grants: `GRANTS` maps each `grant_type` to the function that handles it.

A grant function takes the domain and an already-parsed, client-authenticated `TokenRequest` and returns
the `Grant` to issue (claims and signing happen in one place, `tokens.issue_tokens`), or — for grants
whose answer is not the standard token response — the response body itself.
Adding a grant: one new module here, one entry in `GRANTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockidp.core.claims import Grant
from mockidp.core.errors import OAuthError, invalid_request
from mockidp.core.grants import (
    authorization_code,
    client_credentials,
    device_code,
    jwt_bearer,
    password,
    refresh_token,
    token_exchange,
)
from mockidp.core.grants.base import TokenRequest, check_allowed
from mockidp.core.model import JWT_BEARER, TOKEN_EXCHANGE

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

GrantHandler = Callable[["IdentityDomain", TokenRequest], "Grant | dict[str, Any]"]

GRANTS: dict[str, GrantHandler] = {
    "client_credentials": client_credentials.grant,
    "password": password.grant,
    "refresh_token": refresh_token.grant,
    JWT_BEARER: jwt_bearer.grant,
    TOKEN_EXCHANGE: token_exchange.grant,
    "authorization_code": authorization_code.grant,
    "urn:ietf:params:oauth:grant-type:device_code": device_code.grant,
}


def check_grant_type(params: Mapping[str, str]) -> str:
    """The request's grant_type, if the domain knows it (checked before authenticating the client)."""
    grant_type = params.get("grant_type")
    if not grant_type:
        raise invalid_request("The grant_type parameter is required.")
    if grant_type not in GRANTS:
        raise OAuthError(
            "unsupported_grant_type", f"The grant type {grant_type!r} is not supported; use one of {', '.join(GRANTS)}."
        )
    return grant_type


__all__ = ["GRANTS", "TokenRequest", "check_allowed", "check_grant_type"]
