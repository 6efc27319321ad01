"""`refresh_token` (RFC 6749 §6): a new access token (and refresh token) for the original grant, or a
narrower one — a narrower scope narrows the access and ID tokens only; the new refresh token keeps the original
scope. Unknown, expired, revoked, reused (with rotation) and other clients' refresh tokens are `invalid_grant`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.core import refresh_tokens
from mockidp.core.claims import Grant, Session
from mockidp.core.errors import invalid_grant

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest


def grant(domain: IdentityDomain, request: TokenRequest) -> Grant:
    client = request.client
    record = refresh_tokens.redeem(domain, request.require("refresh_token"), client)
    user = None
    if record["user"] is not None:
        user = domain.user(record["user"])
        if user is None:
            raise invalid_grant("The user of this refresh token no longer exists.")
    original = domain.scopes.resolve(client, record["scope"], user)
    scopes = domain.scopes.narrow(original, client, request.get("scope"), user, request.get("resource"))
    session = Session.from_record(record["session"]) if record["session"] else None
    return Grant(
        client,
        scopes,
        "refresh_token",
        user=user,
        session=session,
        refresh_token=True,
        refresh_family=record["family"],
        refresh_scope=record["scope"],  # RFC 6749 §6: the new refresh token keeps the original scope
    )
