"""`client_credentials` (RFC 6749 §4.4): a confidential client gets a token for itself; no refresh token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.core.claims import Grant
from mockidp.core.errors import unauthorized_client

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest


def grant(domain: IdentityDomain, request: TokenRequest) -> Grant:
    client = request.client
    if client.is_public:
        raise unauthorized_client(
            f"client {client.client_id} is public; only confidential clients may use client_credentials"
        )
    scopes = domain.scopes.resolve(client, request.get("scope"), resource=request.get("resource"))
    return Grant(client, scopes, "client_credentials")
