"""`password` (RFC 6749 §4.3): the client sends a fixture user's name and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.core.claims import Grant, Session
from mockidp.core.errors import OAuthError
from mockidp.core.grants.base import wants_refresh_token
from mockidp.core.signin import DEACTIVATED, WRONG_CREDENTIALS, UserDeactivated, WrongCredentials, check_password

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest


def grant(domain: IdentityDomain, request: TokenRequest) -> Grant:
    user_name, password = request.require("username"), request.require("password")
    try:
        user = check_password(domain, user_name, password)
    except UserDeactivated as exc:
        raise OAuthError("invalid_grant", DEACTIVATED, reason=str(exc)) from None
    except WrongCredentials as exc:
        raise OAuthError("invalid_grant", WRONG_CREDENTIALS, reason=str(exc)) from None
    scopes = domain.scopes.resolve(request.client, request.get("scope"), user, request.get("resource"))
    session = Session.start(domain.clock.now(), domain.settings.session_ttl)
    return Grant(
        request.client,
        scopes,
        "password",
        user=user,
        session=session,
        refresh_token=wants_refresh_token(request.client, scopes),
    )
