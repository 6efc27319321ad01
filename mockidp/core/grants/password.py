"""`password` (RFC 6749 §4.3): the client sends a fixture user's name and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.core.claims import Grant, Session
from mockidp.core.client_auth import secrets_match
from mockidp.core.errors import OAuthError
from mockidp.core.grants.base import wants_refresh_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest


def grant(domain: IdentityDomain, request: TokenRequest) -> Grant:
    user_name, password = request.require("username"), request.require("password")
    user = domain.user(user_name)
    if user is None or user.password is None or not secrets_match(password, user.password):
        why = (
            "no such user"
            if user is None
            else "the user has no password"
            if user.password is None
            else "wrong password"
        )
        raise OAuthError("invalid_grant", "The user name or password is incorrect.", reason=f"{user_name!r}: {why}")
    scopes = domain.scopes.resolve(request.client, request.get("scope"), user)
    session = Session.start(domain.clock.now(), domain.settings.session_ttl)
    return Grant(
        request.client,
        scopes,
        "password",
        user=user,
        session=session,
        refresh_token=wants_refresh_token(request.client, scopes),
    )
