"""`POST /oauth2/v1/token` without the HTTP: grant type → client authentication → grant → tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockidp.core.client_auth import ClientHook, authenticate_client
from mockidp.core.errors import OAuthError
from mockidp.core.grants import GRANTS, TokenRequest, check_allowed, check_grant_type
from mockidp.core.signin import DEACTIVATED
from mockidp.core.tokens import issue_tokens

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls


def token(
    domain: IdentityDomain,
    urls: Urls,
    params: Mapping[str, str],
    authorization: str | None,
    on_client: ClientHook | None = None,
) -> dict[str, Any]:
    grant_type = check_grant_type(params)
    client, method = authenticate_client(domain, urls, params, authorization, on_client)
    check_allowed(client, grant_type)
    result = GRANTS[grant_type](domain, TokenRequest(params, client, method, urls))
    if isinstance(result, dict):
        return result
    if result.user is not None and not _still_active(domain, result.user.user_name):
        # a code, refresh token or assertion obtained before the user was deactivated is no good after it
        raise OAuthError("invalid_grant", DEACTIVATED, reason=f"{result.user.user_name!r} is deactivated")
    return issue_tokens(domain, urls, result)


def _still_active(domain: IdentityDomain, user_name: str) -> bool:
    user = domain.user(user_name)
    return user is not None and user.active
