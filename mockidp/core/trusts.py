"""Identity propagation trusts (`[[trusts]]` in fixtures): which outside tokens the domain accepts as a
user's identity, in the jwt-bearer grant and in token exchange (idcs-reference §5).

A trust names an issuer and how to verify its tokens (a PEM key, a JWKS file, or "self": this domain's own
access and ID tokens), the claim that names the user, the clients allowed to use it, and impersonation
rules (`"sub eq 'repo:acme/app'"` → a service user), modelled on the real IdentityPropagationTrust.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mockidp.core.assertions import AssertionRejected, check_times, read_unverified, verify_with
from mockidp.core.model import Client, Condition, Trust, User
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

OPERATORS = ("eq", "co", "sw")
_CONDITION = re.compile(
    r"""\s*(?P<claim>[A-Za-z0-9_.:\-]+)\s+(?P<op>[A-Za-z]+)\s+(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s'"]+))\s*"""
)
_AND = re.compile(r"and\b", re.IGNORECASE)


def parse_rule(text: str) -> tuple[Condition, ...]:
    """`claim op value [and claim op value …]` → conditions, or ValueError saying what is wrong."""
    conditions, pos = [], 0
    while True:
        match = _CONDITION.match(text, pos)
        if match is None:
            raise ValueError(
                f"cannot read {text[pos:]!r}: a rule is <claim> <eq|co|sw> <value>, joined by and, "
                """e.g. "sub eq 'repo:acme/app:ref:refs/heads/main'" """.rstrip()
            )
        op = match["op"].lower()
        if op not in OPERATORS:
            raise ValueError(f"unknown operator {match['op']!r} in {text!r}; use one of {', '.join(OPERATORS)}")
        value = next(v for v in (match["dq"], match["sq"], match["bare"]) if v is not None)
        conditions.append(Condition(match["claim"], op, value))
        pos = match.end()
        if pos == len(text):
            return tuple(conditions)
        joined = _AND.match(text, pos)
        if joined is None:
            raise ValueError(f"expected 'and' before {text[pos:]!r} in {text!r}")
        pos = joined.end()


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def matches(condition: Condition, claims: dict[str, Any]) -> bool:
    value = claims.get(condition.claim)
    if value is None:
        return False
    for item in value if isinstance(value, list) else [value]:
        text = _as_text(item)
        if (
            (condition.op == "eq" and text == condition.value)
            or (condition.op == "co" and condition.value in text)
            or (condition.op == "sw" and text.startswith(condition.value))
        ):
            return True
    return False


def find_trust(domain: IdentityDomain, urls: Urls, issuer: Any) -> Trust | None:
    if not isinstance(issuer, str):
        return None
    trust = domain.trusts.get(issuer)
    if trust is None and issuer in urls.issuers:
        trust = domain.trusts.get("self")
    return trust


def accept(domain: IdentityDomain, urls: Urls, client: Client, token: str, what: str) -> User:
    """The user a trusted issuer's token stands for, or AssertionRejected saying why it is not accepted."""
    header, unverified = read_unverified(token, what)
    issuer = unverified.get("iss")
    trust = find_trust(domain, urls, issuer)
    if trust is None:
        known = ", ".join(repr(urls.issuer if t.is_self else t.issuer) for t in domain.trusts.values()) or "none"
        raise AssertionRejected(
            f"Untrusted issuer: no [[trusts]] entry has issuer {issuer!r} (trusted issuers: {known})."
        )
    if not trust.allows(client.client_id):
        raise AssertionRejected(
            f"Client {client.client_id} may not use trust {trust.name!r}; it is limited to clients "
            f"{', '.join(trust.clients)}."
        )
    claims = _verified(domain, urls, token, header, unverified, trust, what)
    if trust.client_claim is not None:
        held = claims.get(trust.client_claim)
        held_values = [_as_text(v) for v in (held if isinstance(held, list) else [held]) if v is not None]
        if not set(held_values) & set(trust.client_claim_values):
            raise AssertionRejected(
                f"The {what}'s {trust.client_claim} claim ({held!r}) is not one of trust {trust.name!r}'s "
                f"client_claim_values ({', '.join(trust.client_claim_values)})."
            )
    return user_for(domain, trust, claims, what)


def _verified(
    domain: IdentityDomain,
    urls: Urls,
    token: str,
    header: dict[str, Any],
    unverified: dict[str, Any],
    trust: Trust,
    what: str,
) -> dict[str, Any]:
    if trust.is_self:
        tok_type = unverified.get("tok_type", "AT")
        if tok_type not in ("AT", "IT"):
            raise AssertionRejected(f"The {what} is a {tok_type!r} token; an access or ID token is needed.")
        try:
            return verify_token(domain, token, tok_type=tok_type, urls=urls)
        except TokenRejected as exc:
            raise AssertionRejected(f"The {what} is not a valid token of this identity domain: {exc}") from None
    claims = verify_with(token, header, trust.keys, what, f"trust {trust.name!r}")
    check_times(claims, domain.clock.now(), what)
    return claims


def user_for(domain: IdentityDomain, trust: Trust, claims: dict[str, Any], what: str) -> User:
    """Impersonation rules first (the first that matches names the user), else the subject claim."""
    if trust.impersonation:
        for rule in trust.impersonation:
            if all(matches(condition, claims) for condition in rule.conditions):
                user = domain.user(rule.user)
                if user is None:
                    raise AssertionRejected(
                        f"Impersonation rule {rule.rule!r} names user {rule.user!r}, who no longer exists."
                    )
                return user
        rules = "; ".join(repr(rule.rule) for rule in trust.impersonation)
        raise AssertionRejected(f"No impersonation rule of trust {trust.name!r} matches the {what} (rules: {rules}).")
    name = claims.get(trust.subject_claim)
    if not isinstance(name, str) or not name:
        raise AssertionRejected(f"The {what} has no {trust.subject_claim} claim naming the user.")
    user = domain.user(name) if trust.subject_mapping == "user_name" else domain.user_by_email(name)
    if user is None:
        attribute = "user_name" if trust.subject_mapping == "user_name" else "email"
        raise AssertionRejected(
            f"The {what}'s {trust.subject_claim} claim is {name!r}, but no user of this identity domain has that "
            f"{attribute}."
        )
    return user
