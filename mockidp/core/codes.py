"""Authorization codes (RFC 6749 §4.1, RFC 7636 PKCE): issued at the authorize endpoint, redeemed once at the
token endpoint by the client they were issued to, for the same redirect_uri, within `code_ttl`.

A code is taken from the store when redeemed, so it works once. What it yielded is remembered under the used
code: a second redemption fails and revokes those tokens (RFC 6749 §4.1.2: "the authorization server … SHOULD
revoke (when possible) all tokens previously issued based on that authorization code").
Fixture `[[codes]]` are different: they never expire and can be redeemed again and again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jwt.utils import base64url_encode

from mockidp.core import ids, refresh_tokens
from mockidp.core.claims import Session
from mockidp.core.client_auth import secrets_match
from mockidp.core.errors import invalid_grant, invalid_request
from mockidp.core.model import Client
from mockidp.core.stores.contract import GRACE
from mockidp.core.tokens import Issued, revoke_token_claims

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

NS = "codes"
USED = "used_codes"
PKCE_METHODS = ("S256", "plain")
# RFC 7636 §4.1/§4.2: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True)
class Redeemed:
    """What a redeemed code grants."""

    code: str
    client_id: str
    user: str
    scope: str
    session: Session
    nonce: str | None = None
    fixed: bool = False  # a fixture code: nothing to remember


def s256(verifier: str) -> str:
    return base64url_encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode()


def issue(
    domain: IdentityDomain,
    *,
    client: Client,
    user_name: str,
    redirect_uri: str,
    scope: str,
    session: Session,
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> str:
    code = ids.opaque("AgAg")
    expires_at = domain.clock.now() + domain.settings.code_ttl
    domain.store.put(
        NS,
        code,
        {
            "client_id": client.client_id,
            "user": user_name,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "session": session.to_record(),
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "expires_at": expires_at,
        },
        expires_at=expires_at + GRACE,
    )
    return code


def redeem(
    domain: IdentityDomain, code: str, client: Client, redirect_uri: str | None, code_verifier: str | None
) -> Redeemed:
    """Check a code presented at the token endpoint and use it up, or raise `invalid_grant` saying why.

    [choice] `redirect_uri` may be left out at the token endpoint (idcs-reference §5 shows it optional);
    when sent it must be exactly the authorization request's.
    """
    fixed = domain.fixtures.codes.get(code)
    if fixed is not None:
        _check_client(fixed.client_id, client)
        _check_redirect(fixed.redirect_uri, redirect_uri)
        if code_verifier is not None:
            raise invalid_grant("The code_verifier was sent, but this fixture code was issued without PKCE.")
        session = Session.start(domain.clock.now(), domain.settings.session_ttl)
        return Redeemed(code, fixed.client_id, fixed.user, fixed.scope, session, fixed=True)

    # Claim the code before taking it (one atomic add), so that of two redemptions at once — in two processes
    # sharing a store — the loser always meets the claim: it is told the code was used, and marks it replayed.
    now = domain.clock.now()
    claim = {"client_id": None, "jwts": [], "refresh_token": None, "replayed": False}
    if not domain.store.add(USED, code, claim, expires_at=now + domain.settings.code_ttl + 2 * GRACE):
        used = domain.store.update(USED, code, _replayed)
        if used is not None:
            _revoke(domain, used)
            raise invalid_grant(
                "The authorization code has already been used; the tokens issued for it have been revoked."
            )
    record = domain.store.take(NS, code)
    if record is None:
        domain.store.delete(USED, code)  # no such code: nothing was used
        raise invalid_grant("The authorization code is invalid.")
    if record["expires_at"] <= now:
        raise invalid_grant(f"The authorization code has expired (codes are valid {domain.settings.code_ttl} s).")
    _check_client(record["client_id"], client)
    _check_redirect(record["redirect_uri"], redirect_uri)
    _check_pkce(record["code_challenge"], record["code_challenge_method"], code_verifier)
    session = Session.from_record(record["session"])
    return Redeemed(code, record["client_id"], record["user"], record["scope"], session, record["nonce"])


def remember(domain: IdentityDomain, redeemed: Redeemed, issued: Issued) -> None:
    """Keep what a code yielded, so that a replay of the code can revoke it; if a replay came while the tokens
    were being issued, revoke them now."""
    if redeemed.fixed:
        return
    jwts = issued.revocable
    # Kept as long as there is something a replay could revoke: the last of those tokens to expire.
    until = max([claims["exp"] for claims in jwts] + [domain.clock.now() + GRACE])
    if issued.refresh_token:
        until = max(until, domain.clock.now() + domain.settings.refresh_token_ttl)
    yielded = {"client_id": redeemed.client_id, "jwts": jwts, "refresh_token": issued.refresh_token}
    record = domain.store.update(
        USED,
        redeemed.code,
        lambda current: {**yielded, "replayed": bool(current and current.get("replayed"))},
        expires_at=until,
    )
    if record is not None and record["replayed"]:
        _revoke(domain, record)


def _replayed(current: dict | None) -> dict | None:
    return {**current, "replayed": True} if current is not None else None


def _revoke(domain: IdentityDomain, used: dict) -> None:
    for claims in used["jwts"]:
        revoke_token_claims(domain, claims)
    if used["refresh_token"]:
        refresh_tokens.revoke(domain, used["refresh_token"])


def _check_client(owner: str, client: Client) -> None:
    if owner != client.client_id:
        raise invalid_grant("The authorization code was issued to another client.")


def _check_redirect(expected: str, given: str | None) -> None:
    if given is not None and given != expected:
        raise invalid_grant(
            f"The redirect_uri {given!r} is not the one of the authorization request; send {expected!r}."
        )


def _check_pkce(challenge: str | None, method: str | None, verifier: str | None) -> None:
    if challenge is None:
        if verifier is not None:
            raise invalid_grant(
                "The code_verifier was sent, but the authorization request had no code_challenge: "
                "send code_challenge and code_challenge_method to the authorize endpoint."
            )
        return
    if verifier is None:
        raise invalid_grant("The code_verifier parameter is required: the authorization request used PKCE.")
    if not PKCE_VALUE.fullmatch(verifier):
        raise invalid_request(
            "The code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~' (RFC 7636)."
        )
    computed = s256(verifier) if method == "S256" else verifier
    if not secrets_match(computed, challenge):
        raise invalid_grant(f"The code_verifier does not match the code_challenge (method {method}).")
