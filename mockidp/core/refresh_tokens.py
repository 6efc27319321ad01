"""Refresh tokens: opaque strings (`AQAg…`, like the real ones) whose grant is kept in the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core import ids
from mockidp.core.errors import invalid_grant
from mockidp.core.model import Client

if TYPE_CHECKING:
    from mockidp.core.claims import Grant
    from mockidp.core.domain import IdentityDomain

NS = "refresh_tokens"


def issue(domain: IdentityDomain, grant: Grant) -> str:
    token = ids.opaque("AQAg")
    now = int(domain.clock.now())
    domain.store.put(
        NS,
        token,
        {
            "client_id": grant.client.client_id,
            "user": grant.user.user_name if grant.user else None,
            "scope": " ".join(grant.scopes.items),
            "iat": now,
            "exp": now + domain.settings.refresh_token_ttl,
            "session": grant.session.to_record() if grant.session else None,
        },
    )
    return token


def find(domain: IdentityDomain, token: str) -> dict[str, Any] | None:
    """The grant behind a refresh token that is still good now, or None."""
    record = domain.store.get(NS, token)
    if record is None or record["exp"] <= domain.clock.now():
        return None
    return record


def redeem(domain: IdentityDomain, token: str, client: Client) -> dict[str, Any]:
    record = domain.store.get(NS, token)
    if record is None:
        raise invalid_grant("The refresh token is invalid or has been revoked.")
    if record["exp"] <= domain.clock.now():
        raise invalid_grant("The refresh token has expired.")
    if record["client_id"] != client.client_id:
        raise invalid_grant("The refresh token was issued to another client.")
    return record


def revoke(domain: IdentityDomain, token: str) -> dict[str, Any] | None:
    return domain.store.take(NS, token)
