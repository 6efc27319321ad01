"""`urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1; idcs-reference §5): a user assertion.

`assertion` is an RS256 JWT whose `sub` names a user, signed by one of:
- the requesting client itself: `iss` = client_id, verified with the client's `public_key`/`jwks`,
  `aud` containing the issuer (or the token URL), `exp` required;
- this identity domain: one of its own ID tokens (`iss` = the domain's issuer), as the sign-in API flow does;
- a trusted issuer of `[[trusts]]` that allows the client (see `trusts.py`).
Anything else is `invalid_grant` with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.core import trusts
from mockidp.core.assertions import AssertionRejected, check_audience, check_times, read_unverified, verify_with
from mockidp.core.claims import Grant, Session
from mockidp.core.client_assertion import accepted_audiences
from mockidp.core.errors import invalid_grant
from mockidp.core.grants.base import wants_refresh_token
from mockidp.core.model import JWT_BEARER, User
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls
    from mockidp.core.grants.base import TokenRequest

WHAT = "assertion"


def grant(domain: IdentityDomain, request: TokenRequest) -> Grant:
    try:
        user = _asserted_user(domain, request)
    except AssertionRejected as exc:
        raise invalid_grant(str(exc)) from None
    client = request.client
    scopes = domain.scopes.resolve(client, request.get("scope"), user, request.get("resource"))
    # [choice] amr/idp_name of a session that began with an assertion.
    session = Session.start(domain.clock.now(), domain.settings.session_ttl, amr=("JWT",), idp_name="JWTAssertion")
    return Grant(
        client, scopes, JWT_BEARER, user=user, session=session, refresh_token=wants_refresh_token(client, scopes)
    )


def _asserted_user(domain: IdentityDomain, request: TokenRequest) -> User:
    assertion, client, urls = request.require("assertion"), request.client, request.urls
    header, unverified = read_unverified(assertion, WHAT)
    iss = unverified.get("iss")
    if iss == client.client_id:
        return _client_signed(domain, urls, request, assertion, header)
    if iss in urls.issuers:  # always accepted, as the sign-in API does; a "self" trust is for token exchange
        return _own_id_token(domain, urls, assertion)
    return trusts.accept(domain, urls, client, assertion, WHAT)


def _client_signed(domain: IdentityDomain, urls: Urls, request: TokenRequest, assertion: str, header: dict) -> User:
    client = request.client
    if not client.keys:
        raise AssertionRejected(
            f"The assertion is signed by client {client.client_id} (its iss), which has no public_key or jwks."
        )
    claims = verify_with(assertion, header, client.keys, WHAT, f"client {client.client_id}")
    check_times(claims, domain.clock.now(), WHAT)
    check_audience(claims, accepted_audiences(urls), WHAT)
    return _named_user(domain, claims.get("sub"))


def _own_id_token(domain: IdentityDomain, urls: Urls, assertion: str) -> User:
    try:
        claims = verify_token(domain, assertion, tok_type="IT", urls=urls)
    except TokenRejected as exc:
        raise AssertionRejected(f"The assertion is not a valid ID token of this identity domain: {exc}") from None
    return _named_user(domain, claims.get("sub"))


def _named_user(domain: IdentityDomain, sub: object) -> User:
    if not isinstance(sub, str) or not sub:
        raise AssertionRejected("The assertion has no sub claim: it must name the user (their user_name).")
    user = domain.user(sub)
    if user is None:
        raise AssertionRejected(f"The assertion's sub {sub!r} is not a user of this identity domain.")
    return user
