"""`authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): redeem a code from the authorize endpoint.

The answer is the standard token response; the grant issues it itself so that the code can remember what it
yielded (a replay of the code revokes those tokens, see `codes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core import codes, tokens
from mockidp.core.claims import Grant
from mockidp.core.errors import invalid_grant
from mockidp.core.grants.base import wants_refresh_token
from mockidp.core.model import AUTHORIZATION_CODE

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest


def grant(domain: IdentityDomain, request: TokenRequest) -> dict[str, Any]:
    client = request.client
    redeemed = codes.redeem(
        domain, request.require("code"), client, request.get("redirect_uri"), request.get("code_verifier")
    )
    user = domain.user(redeemed.user)
    if user is None:
        raise invalid_grant("The user of this authorization code no longer exists.")
    scopes = domain.scopes.resolve(client, redeemed.scope, user)
    if request.get("resource") is not None:  # RFC 8707 §2.2: the token for one of the resources granted
        scopes = domain.scopes.narrow(scopes, client, None, user, request.get("resource"))
    issued = tokens.issue(
        domain,
        request.urls,
        Grant(
            client,
            scopes,
            AUTHORIZATION_CODE,
            user=user,
            session=redeemed.session,
            nonce=redeemed.nonce,
            refresh_token=wants_refresh_token(client, scopes),
        ),
    )
    codes.remember(domain, redeemed, issued)
    return issued.body
