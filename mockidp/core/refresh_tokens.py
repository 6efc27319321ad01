"""Refresh tokens (RFC 6749 §1.5, §6; the OAuth 2.0 Security BCP §4.14): opaque strings (`AQAg…`, like the real
ones) whose grant is kept in the store until the token expires.

Every refresh token belongs to a *family*: the grant a sign-in (or a password, device or jwt-bearer grant) started,
and every refresh token and access/ID token issued from it since. A refresh keeps the family's original scope in
the new refresh token — asking for a narrower scope narrows only the access and ID tokens of that answer.

- Rotation (`refresh_token_rotation = true` in `[domain]` or on the client; off by default [choice: the real
  service's behaviour is not documented]): each refresh token is single use. Using it marks it used in one atomic
  store step, so of concurrent uses exactly one wins; presenting a used one again is `invalid_grant` and revokes the
  whole family (the BCP's reuse detection: a stolen token and the real client cannot both keep going).
- Revoking a refresh token (RFC 7009 §2.1: "SHOULD also invalidate all access tokens based on the same
  authorization grant") revokes its family: every refresh token of it, and the access and ID tokens issued with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core import ids
from mockidp.core.errors import invalid_grant
from mockidp.core.model import Client
from mockidp.core.stores.contract import GRACE

if TYPE_CHECKING:
    from mockidp.core.claims import Grant
    from mockidp.core.domain import IdentityDomain

NS = "refresh_tokens"
FAMILIES = "refresh_families"


def rotates(domain: IdentityDomain, client: Client) -> bool:
    """Whether this client's refresh tokens are single use."""
    if client.refresh_token_rotation is not None:
        return client.refresh_token_rotation
    return domain.settings.refresh_token_rotation


def issue(domain: IdentityDomain, grant: Grant, jwts: list[dict[str, Any]]) -> str:
    """A new refresh token for a grant, in the grant's family (a new family unless the grant is a refresh).
    `jwts` are the `{"jti", "exp"}` of the tokens issued beside it, which a revocation of the family revokes too."""
    token = ids.opaque("AQAg")
    now = int(domain.clock.now())
    exp = now + domain.settings.refresh_token_ttl
    family = grant.refresh_family or ids.jti()
    scope = grant.refresh_scope if grant.refresh_scope is not None else " ".join(grant.scopes.items)
    record = {
        "client_id": grant.client.client_id,
        "user": grant.user.user_name if grant.user else None,
        "scope": scope,
        "iat": now,
        "exp": exp,
        "session": grant.session.to_record() if grant.session else None,
        "family": family,
        "used": False,
    }
    _join_family(domain, family, token, jwts, exp, now)
    domain.store.put(NS, token, record, expires_at=exp + GRACE)
    return token


def find(domain: IdentityDomain, token: str) -> dict[str, Any] | None:
    """The grant behind a refresh token that is still good now (not expired, used up or revoked), or None."""
    record = domain.store.get(NS, token)
    if record is None or record["exp"] <= domain.clock.now() or record.get("used"):
        return None
    return record


def redeem(domain: IdentityDomain, token: str, client: Client) -> dict[str, Any]:
    """Check a refresh token presented by `client` and, when its refresh tokens rotate, use it up — or raise
    `invalid_grant` saying why (a reused one revokes its family first)."""
    record = domain.store.get(NS, token)
    if record is None:
        raise invalid_grant("The refresh token is invalid or has been revoked.")
    if record["exp"] <= domain.clock.now():
        raise invalid_grant("The refresh token has expired.")
    if record["client_id"] != client.client_id:
        raise invalid_grant("The refresh token was issued to another client.")
    if not rotates(domain, client) and not record.get("used"):
        return record
    outcome = "gone"

    def use(current: dict[str, Any] | None) -> dict[str, Any] | None:
        nonlocal outcome
        if current is None:
            outcome = "gone"
            return None
        outcome = "used" if current.get("used") else "won"
        return {**current, "used": True}

    domain.store.update(NS, token, use)
    if outcome == "gone":  # revoked since it was read
        raise invalid_grant("The refresh token is invalid or has been revoked.")
    if outcome == "used":
        revoke_family(domain, record["family"])
        raise invalid_grant(
            "The refresh token has already been used; refresh tokens of this client are single use, so every "
            "token issued from it has been revoked. Sign in again."
        )
    return record


def revoke(domain: IdentityDomain, token: str) -> dict[str, Any] | None:
    """Revoke a refresh token and its family; returns its record, or None if there was no such token."""
    record = domain.store.get(NS, token)
    if record is None:
        return None
    revoke_family(domain, record["family"])
    return record


def revoke_family(domain: IdentityDomain, family: str) -> None:
    from mockidp.core.tokens import revoke_token_claims  # tokens imports this module

    members = domain.store.take(FAMILIES, family)
    if members is None:
        return
    for token, _ in members["tokens"]:
        domain.store.delete(NS, token)
    for claims in members["jwts"]:
        revoke_token_claims(domain, claims)


def _join_family(
    domain: IdentityDomain, family: str, token: str, jwts: list[dict[str, Any]], exp: int, now: float
) -> None:
    """Add a refresh token and the JWTs issued with it to the family, dropping members that have expired."""

    def join(current: dict[str, Any] | None) -> dict[str, Any]:
        members = current or {"tokens": [], "jwts": [], "exp": 0}
        return {
            "tokens": [*(pair for pair in members["tokens"] if pair[1] > now), [token, exp]],
            "jwts": [*(c for c in members["jwts"] if _live(c, now)), *jwts],
            "exp": max(members["exp"], exp),
        }

    domain.store.update(FAMILIES, family, join, expires_at=exp + GRACE)


def _live(claims: dict[str, Any], now: float) -> bool:
    exp = claims.get("exp")
    return not isinstance(exp, int | float) or exp > now
