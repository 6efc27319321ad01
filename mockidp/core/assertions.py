"""Checks shared by every JWT that others sign and the domain accepts: client assertions (`private_key_jwt`),
user assertions (jwt-bearer grant) and subject tokens (token exchange).

Each check raises `AssertionRejected` with a sentence for the client; the caller decides the OAuth error
(`invalid_client` for client authentication, `invalid_grant` for grants). Time is the domain clock's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from mockidp.core.clock import is_instant, iso
from mockidp.core.verification_keys import KeyNotFound, VerificationKey, find_key

ALGORITHM = "RS256"
# [choice] How far a client's clock may run ahead of the domain's for iat/nbf.
LEEWAY = 30


class AssertionRejected(Exception):
    """The JWT cannot be accepted; str(exc) is a sentence saying which check failed."""


def read_unverified(token: str, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked (to find out who signed it)."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AssertionRejected(f"The {what} is not a JWT (three base64url parts: header.claims.signature).") from None
    if header.get("alg") != ALGORITHM:
        raise AssertionRejected(f"The {what} must be signed with {ALGORITHM}, not {header.get('alg')!r}.")
    return header, claims


def verify_with(
    token: str, header: dict[str, Any], keys: Sequence[VerificationKey], what: str, owner: str
) -> dict[str, Any]:
    """The claims, once the signature verifies with the key the header names among `keys` of `owner`."""
    try:
        key = find_key(keys, header)
    except KeyNotFound as exc:
        raise AssertionRejected(
            f"Unknown key: the {what} is signed by a key that {owner} does not have: {exc}."
        ) from None
    try:
        return jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
        )
    except jwt.InvalidSignatureError:
        raise AssertionRejected(
            f"Bad signature: the {what} does not verify with {owner}'s key ({key.describe()})."
        ) from None
    except jwt.PyJWTError as exc:
        raise AssertionRejected(f"The {what} is malformed: {exc}.") from None


def check_times(claims: dict[str, Any], now: float, what: str, *, max_lifetime: int | None = None) -> int:
    """`exp` present and in the future (and no further ahead than `max_lifetime`), `nbf`/`iat` not ahead."""
    exp = claims.get("exp")
    if exp is None:
        raise AssertionRejected(f"Missing exp: the {what} must have an exp claim.")
    if not is_instant(exp):
        raise AssertionRejected(f"The {what}'s exp must be a number of seconds since the epoch, got {exp!r:.40}.")
    if exp <= now:
        raise AssertionRejected(f"Expired: the {what} expired at {iso(exp)} (it is now {iso(now)}).")
    if max_lifetime is not None and exp > now + max_lifetime + LEEWAY:
        raise AssertionRejected(
            f"The {what} expires at {iso(exp)}, more than {max_lifetime} seconds from now: "
            "assertions must be short-lived."
        )
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if not is_instant(value):
            raise AssertionRejected(
                f"The {what}'s {name} must be a number of seconds since the epoch, got {value!r:.40}."
            )
        if value > now + LEEWAY:
            raise AssertionRejected(f"The {what} is not valid yet: its {name} is {iso(value)}, it is now {iso(now)}.")
    return int(exp)


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [item for item in aud if isinstance(item, str)]
    return []


def check_audience(claims: dict[str, Any], accepted: Sequence[str], what: str) -> None:
    if not set(audiences(claims)) & set(accepted):
        raise AssertionRejected(
            f"Wrong aud: the {what}'s aud must contain {' or '.join(repr(a) for a in accepted)}; "
            f"got {claims.get('aud')!r}."
        )
