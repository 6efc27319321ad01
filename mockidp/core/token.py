"""`POST /oauth2/v1/token` without the HTTP: grant type → client authentication → grant → tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockidp.core.client_auth import ClientHook, authenticate_client
from mockidp.core.grants import GRANTS, TokenRequest, check_allowed, check_grant_type
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
    return result if isinstance(result, dict) else issue_tokens(domain, urls, result)
