"""`private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9; idcs-reference §5).

The client sends `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a
`client_assertion`: an RS256 JWT with `kid` or `x5t` in its header, `iss` = `sub` = client_id, an `aud`
containing the issuer or the token URL, a short `exp`, and a `jti` never used before. The signature is checked
with the client's `public_key` or `jwks` from its fixture. Every failure is `invalid_client` with a
description naming the check that failed (unlike a wrong secret, nothing here is worth hiding).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mockidp.core.assertions import AssertionRejected, check_audience, check_times, read_unverified, verify_with
from mockidp.core.errors import OAuthError, invalid_client, invalid_request
from mockidp.core.model import Client

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

PRIVATE_KEY_JWT = "private_key_jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
WHAT = "client_assertion"
# [choice] The longest an assertion may live (Authlib and most libraries make them for 3600 s or less).
MAX_LIFETIME = 3600
# Assertion endpoints: an aud naming any of them (or the issuer) is accepted.
AUDIENCE_PATHS = ("/oauth2/v1/token", "/oauth2/v1/introspect", "/oauth2/v1/revoke")

USED_JTI = "client_assertion_jti"  # store namespace: "<client_id> <jti>" -> {"exp": …}, kept until exp


def accepted_audiences(urls: Urls) -> list[str]:
    """What an assertion's aud may name: the issuer (or the one before a change), or an assertion endpoint."""
    found = list(urls.issuers)
    for path in AUDIENCE_PATHS:
        found.extend(dict.fromkeys((urls.endpoint(path), urls.base + path)))
    return found


def authenticate(domain: IdentityDomain, urls: Urls, params: Mapping[str, str]) -> tuple[Client, str]:
    assertion_type, assertion = params.get("client_assertion_type"), params.get("client_assertion")
    if params.get("client_secret") is not None:
        raise invalid_request(
            "Use one client authentication method: the request has both client_assertion and client_secret."
        )
    if assertion_type != ASSERTION_TYPE:
        raise _fail(f"client_assertion_type must be {ASSERTION_TYPE}, got {assertion_type!r}.")
    if not assertion:
        raise _fail("The client_assertion parameter is missing or empty.")
    try:
        return _verify(domain, urls, params, assertion), PRIVATE_KEY_JWT
    except AssertionRejected as exc:
        raise _fail(str(exc)) from None


def _verify(domain: IdentityDomain, urls: Urls, params: Mapping[str, str], assertion: str) -> Client:
    header, unverified = read_unverified(assertion, WHAT)
    iss, sub = unverified.get("iss"), unverified.get("sub")
    if not isinstance(iss, str) or not iss or iss != sub:
        raise AssertionRejected(f"The client_assertion must have iss = sub = client_id; got iss {iss!r}, sub {sub!r}.")
    client_id = params.get("client_id")
    if client_id is not None and client_id != iss:
        raise AssertionRejected(
            f"The client_id parameter ({client_id!r}) differs from the client_assertion's iss ({iss!r})."
        )
    client = domain.client(iss)
    if client is None:
        raise AssertionRejected(f"The client_assertion's iss {iss!r} is not a client of this identity domain.")
    if not client.active:
        raise AssertionRejected(f"Client {iss} is deactivated (its App has active: false).")
    if not client.keys:
        raise AssertionRejected(
            f"Client {iss} has no public_key or jwks in its fixture, so it cannot use private_key_jwt."
        )
    claims = verify_with(assertion, header, client.keys, WHAT, f"client {iss}")
    now = domain.clock.now()
    exp = check_times(claims, now, WHAT, max_lifetime=MAX_LIFETIME)
    check_audience(claims, accepted_audiences(urls), WHAT)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise AssertionRejected("Missing jti: the client_assertion must have a jti claim, unique for each assertion.")
    _use_jti(domain, f"{iss} {jti}", exp)
    return client


def _use_jti(domain: IdentityDomain, key: str, exp: int) -> None:
    """Refuse a jti seen before (until its assertion expires); remember this one."""
    if not domain.store.add(USED_JTI, key, {"exp": exp}, expires_at=exp):  # atomic: one of two replays wins
        raise AssertionRejected(
            f"Replayed jti: the client_assertion jti {key.split(' ', 1)[1]!r} was already used; "
            "make a new assertion (with a new jti) for every request."
        )


def _fail(description: str) -> OAuthError:
    return invalid_client(description, description=description)
