"""Issuing the token response for a `Grant`, and checking access tokens presented back to the domain.

Access and ID tokens are self-contained RS256 JWTs: they verify with the domain's keys alone. Revocation
is the only state they need (revoked `jti`s, kept until the token would have expired anyway).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from mockidp.core import refresh_tokens
from mockidp.core.claims import Grant, access_token_claims, id_token_claims

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

REVOKED = "revoked_jti"


@dataclass(frozen=True)
class Signed:
    """A signed JWT and the claims in it (kept so that tokens issued together can be revoked together)."""

    token: str
    claims: dict[str, Any]


@dataclass(frozen=True)
class Issued:
    """A token endpoint answer, with what it contains for the grants that must remember it."""

    body: dict[str, Any]
    jwts: tuple[Signed, ...]
    refresh_token: str | None = None

    @property
    def revocable(self) -> list[dict[str, Any]]:
        """What revoking these tokens later needs to know: each JWT's `jti` and `exp`."""
        return revocable(self.jwts)


def revocable(jwts: list[Signed] | tuple[Signed, ...]) -> list[dict[str, Any]]:
    return [{"jti": jwt.claims["jti"], "exp": jwt.claims["exp"]} for jwt in jwts]


def sign_access_tokens(domain: IdentityDomain, urls: Urls, grant: Grant, now: int) -> tuple[list[Signed], int]:
    """One access token per resource of the grant (one, unless multi-resource scopes were asked), and their ttl."""
    ttl = grant.scopes.expiry or domain.settings.access_token_ttl
    sign = domain.keys.active.sign
    signed = []
    for resource in grant.scopes.resources:
        claims = access_token_claims(domain, urls, grant, resource, now, ttl)
        signed.append(Signed(sign(claims), claims))
    return signed, ttl


def sign_id_token(
    domain: IdentityDomain,
    urls: Urls,
    grant: Grant,
    now: int,
    *,
    access_token: str | None = None,
    code: str | None = None,
) -> Signed:
    claims = id_token_claims(domain, urls, grant, now, access_token=access_token, code=code)
    return Signed(domain.keys.active.sign(claims), claims)


def issue(domain: IdentityDomain, urls: Urls, grant: Grant) -> Issued:
    """The token endpoint's success body: access token(s), then `id_token` and `refresh_token` when due."""
    now = int(domain.clock.now())
    access, ttl = sign_access_tokens(domain, urls, grant, now)
    responses = [{"access_token": token.token, "token_type": "Bearer", "expires_in": ttl} for token in access]
    body: dict[str, Any] = {"tokenResponses": responses} if grant.scopes.multi else responses[0]
    jwts = list(access)
    if grant.user is not None and grant.scopes.has("openid"):
        id_token = sign_id_token(domain, urls, grant, now, access_token=access[0].token)
        body["id_token"] = id_token.token
        jwts.append(id_token)
    refresh_token = None
    if grant.refresh_token:
        refresh_token = body["refresh_token"] = refresh_tokens.issue(domain, grant, revocable(jwts))
    return Issued(body, tuple(jwts), refresh_token)


def issue_tokens(domain: IdentityDomain, urls: Urls, grant: Grant) -> dict[str, Any]:
    """The token endpoint's success body for a grant."""
    return issue(domain, urls, grant).body


class TokenRejected(Exception):
    """A presented token cannot be used; the message says why, in a sentence for the client."""


def verify_token(
    domain: IdentityDomain,
    token: str,
    *,
    tok_type: str = "AT",
    allow_expired: bool = False,
    urls: Urls | None = None,
) -> dict[str, Any]:
    """The claims of a token this domain issued and that is still good now, or `TokenRejected`.
    `allow_expired` accepts a token past its `exp` (an `id_token_hint` at logout may be expired). With `urls`,
    its `iss` must be the domain's issuer or `previous_issuer` (a token from before an issuer change)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRejected("The token is not a JWT.") from None
    key = domain.keys.find(header.get("kid"))
    if key is None:
        raise TokenRejected("The token was not signed by a key of this identity domain.")
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise TokenRejected("The token signature does not verify with this identity domain's keys.") from None
    except jwt.PyJWTError as exc:
        raise TokenRejected(f"The token is malformed: {exc}.") from None
    if claims.get("tenant", domain.tenant) != domain.tenant:  # e.g. two domains whose fixtures share a key
        raise TokenRejected(f"The token was issued by another identity domain ({claims.get('tenant')}).")
    if urls is not None and claims.get("iss") not in urls.issuers:
        accepted = " or ".join(repr(issuer) for issuer in urls.issuers)
        raise TokenRejected(f"The token's iss {claims.get('iss')!r} is not this identity domain's issuer ({accepted}).")
    if claims.get("tok_type", "AT") != tok_type:
        raise TokenRejected(
            f"The token is not an {'access' if tok_type == 'AT' else 'ID'} token (tok_type {claims.get('tok_type')!r})."
        )
    now = domain.clock.now()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float):
        raise TokenRejected("The token has no exp claim.")
    if exp <= now and not allow_expired:
        raise TokenRejected(f"The token expired at {_iso(exp)}.")
    if isinstance(nbf, int | float) and nbf > now:
        raise TokenRejected(f"The token is not valid before {_iso(nbf)}.")
    if claims.get("jti") and domain.store.get(REVOKED, str(claims["jti"])) is not None:
        raise TokenRejected("The token has been revoked.")
    return claims


def revoke_token_claims(domain: IdentityDomain, claims: dict[str, Any]) -> None:
    """Remember a token as revoked until it would have expired anyway (then it is refused for its `exp`)."""
    exp = claims.get("exp")
    expires_at = float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
    domain.store.put(REVOKED, str(claims["jti"]), {"exp": exp}, expires_at=expires_at)


def _iso(instant: float) -> str:
    return datetime.datetime.fromtimestamp(instant, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
