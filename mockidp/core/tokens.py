"""Issuing the token response for a `Grant`, and checking access tokens presented back to the domain.

Access and ID tokens are self-contained RS256 JWTs: they verify with the domain's keys alone. Revocation
is the only state they need (revoked `jti`s, kept until the token would have expired anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from mockidp.core import refresh_tokens
from mockidp.core.claims import Grant, access_token_claims, id_token_claims
from mockidp.core.clock import is_instant, iso

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


@dataclass(frozen=True)
class Check:
    """One check of a presented token: its name (signature, tenant, type, issuer, expiry, not_before,
    revocation, audience), whether it passed, and why, in a sentence."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """What `inspect_token` found: the header and claims (unverified when the signature failed) and each check
    in order. The token is good when every check passed."""

    header: dict[str, Any] | None
    claims: dict[str, Any] | None
    checks: tuple[Check, ...]

    @property
    def rejection(self) -> Check | None:
        return next((check for check in self.checks if not check.ok), None)


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
    verdict = inspect_token(
        domain,
        token,
        tok_type=tok_type,
        allow_expired=allow_expired,
        issuers=urls.issuers if urls is not None else (),
        first_failure=True,
    )
    rejection = verdict.rejection
    if rejection is not None:
        raise TokenRejected(rejection.detail)
    assert verdict.claims is not None
    return verdict.claims


def inspect_token(
    domain: IdentityDomain,
    token: str,
    *,
    tok_type: str | None = None,
    allow_expired: bool = False,
    issuers: tuple[str, ...] = (),
    audience: str | None = None,
    first_failure: bool = False,
) -> Verdict:
    """Check a token against this domain: signature and kid, tenant, issuer (when `issuers` are given), type
    (when `tok_type` is given), expiry, not-before, revocation, audience (when `audience` is given). The one
    verifier: `verify_token` is this, stopping at the first failure; the console shows every check."""
    checks: list[Check] = []

    def done(name: str, ok: bool, detail: str) -> bool:
        checks.append(Check(name, ok, detail))
        return not ok and first_failure

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        checks.append(Check("format", False, "The token is not a JWT."))
        return Verdict(None, None, tuple(checks))
    key = domain.keys.find(header.get("kid"))
    claims: dict[str, Any] = {}
    if key is None:
        if done("signature", False, "The token was not signed by a key of this identity domain."):
            return Verdict(header, None, tuple(checks))
        claims = _unverified_claims(token)
    else:
        try:
            claims = jwt.decode(token, key.public_key, algorithms=["RS256"], options=_SIGNATURE_ONLY)
            ok, detail = True, f"RS256 signature by {key.kid}, a published key of this identity domain."
        except jwt.InvalidSignatureError:
            ok, detail = False, "The token signature does not verify with this identity domain's keys."
        except jwt.PyJWTError as exc:
            ok, detail = False, f"The token is malformed: {exc}."
        if done("signature", ok, detail):
            return Verdict(header, None, tuple(checks))
        if not ok:
            claims = _unverified_claims(token)
    tenant = claims.get("tenant", domain.tenant)
    if tenant != domain.tenant:  # e.g. two domains whose fixtures share a key
        if done("tenant", False, f"The token was issued by another identity domain ({claims.get('tenant')})."):
            return Verdict(header, claims, tuple(checks))
    elif not first_failure:  # passing checks are listed for the console only
        done("tenant", True, f"Issued for this identity domain ({domain.tenant}).")
    if issuers:
        iss = claims.get("iss")
        if iss not in issuers:
            accepted = " or ".join(repr(issuer) for issuer in issuers)
            if done("issuer", False, f"The token's iss {iss!r} is not this identity domain's issuer ({accepted})."):
                return Verdict(header, claims, tuple(checks))
        elif not first_failure:
            done("issuer", True, f"iss {iss!r} is this identity domain's issuer.")
    if tok_type is not None and claims.get("tok_type", "AT") != tok_type:
        kind = "access" if tok_type == "AT" else "ID"
        if done("type", False, f"The token is not an {kind} token (tok_type {claims.get('tok_type')!r})."):
            return Verdict(header, claims, tuple(checks))
    now = domain.clock.now()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is None:
        stop = done("expiry", False, "The token has no exp claim.")
    elif not is_instant(exp):
        stop = done("expiry", False, f"The token's exp must be a number of seconds since the epoch, got {exp!r:.40}.")
    elif exp <= now and not allow_expired:
        stop = done("expiry", False, f"The token expired at {iso(exp)}.")
    else:
        stop = False
        if not first_failure:  # no date formatting on every request
            done("expiry", True, f"Valid until {iso(exp)}.")
    if stop:
        return Verdict(header, claims, tuple(checks))
    if is_instant(nbf) and nbf > now:
        if done("not_before", False, f"The token is not valid before {iso(nbf)}."):
            return Verdict(header, claims, tuple(checks))
    elif not first_failure:
        done("not_before", True, f"Valid since {iso(nbf)}." if is_instant(nbf) else "No nbf claim.")
    if claims.get("jti") and domain.store.get(REVOKED, str(claims["jti"])) is not None:
        if done("revocation", False, "The token has been revoked."):
            return Verdict(header, claims, tuple(checks))
    elif not first_failure:
        done("revocation", True, "Not revoked." if claims.get("jti") else "No jti claim: it cannot be revoked.")
    if audience is not None:
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if audience in audiences:
            done("audience", True, f"aud contains {audience!r}.")
        else:
            done("audience", False, f"The token's aud {aud!r} does not contain {audience!r}.")
    return Verdict(header, claims, tuple(checks))


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims as written, for showing what a rejected token says (never for trusting it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


_SIGNATURE_ONLY = {
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
    "verify_aud": False,
    "verify_iss": False,
}


def revoke_token_claims(domain: IdentityDomain, claims: dict[str, Any]) -> None:
    """Remember a token as revoked until it would have expired anyway (then it is refused for its `exp`)."""
    exp = claims.get("exp")
    expires_at = float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
    domain.store.put(REVOKED, str(claims["jti"]), {"exp": exp}, expires_at=expires_at)
