"""The claim sets of the identity domain's tokens and userinfo (idcs-reference §3 and §7), built in one place.

Every grant decides *what* to issue (a `Grant`); this module decides what the tokens *say*.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jwt.utils import base64url_encode

from mockidp.core import ids
from mockidp.core.model import Client, User
from mockidp.core.scopes import GrantedScopes, ResourceScopes

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

# The grant a token came from, as the `gtp` claim names it ([seen] cc, azc; the rest [choice]).
GTP = {
    "client_credentials": "cc",
    "authorization_code": "azc",
    "password": "ro",
    "refresh_token": "rt",
    "implicit": "imp",
    "urn:ietf:params:oauth:grant-type:jwt-bearer": "jwt",
    "urn:ietf:params:oauth:grant-type:device_code": "dc",
    "urn:ietf:params:oauth:grant-type:token-exchange": "te",
}


@dataclass(frozen=True)
class Session:
    """The sign-in behind user tokens: when it happened, how, and when the SSO session ends."""

    sid: str
    auth_time: int
    expires_at: int
    amr: tuple[str, ...] = ("USERNAME_PASSWORD",)
    idp_name: str = "UserNamePassword"

    @classmethod
    def start(cls, now: float, ttl: int, **kwargs: Any) -> Session:
        return cls(ids.session_id(), int(now), int(now) + ttl, **kwargs)

    def to_record(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "auth_time": self.auth_time,
            "expires_at": self.expires_at,
            "amr": list(self.amr),
            "idp_name": self.idp_name,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Session:
        return cls(record["sid"], record["auth_time"], record["expires_at"], tuple(record["amr"]), record["idp_name"])


@dataclass(frozen=True)
class Grant:
    """What a grant decided to issue: for which client and user, with which scopes, how it was obtained."""

    client: Client
    scopes: GrantedScopes
    grant_type: str
    user: User | None = None
    session: Session | None = None
    nonce: str | None = None
    refresh_token: bool = False  # issue a refresh token with the access token
    refresh_family: str | None = None  # a refresh: the family of the refresh token it used
    refresh_scope: str | None = None  # a refresh: the original scope, which the new refresh token keeps

    @property
    def gtp(self) -> str:
        return GTP.get(self.grant_type, self.grant_type)


def region_name(region: str) -> str:
    """`us-ashburn-1` → `us-ashburn-idcs-1`, the form the `region_name` claim uses."""
    base, _, number = region.rpartition("-")
    return f"{base}-idcs-{number}" if number.isdigit() else f"{region}-idcs-1"


def _common(domain: IdentityDomain, urls: Urls, client: Client, now: int, exp: int) -> dict[str, Any]:
    tenant = domain.tenant
    return {
        "iss": urls.issuer,
        "client_id": client.client_id,
        "client_guid": client.guid,
        "client_name": client.display_name,
        "client_tenantname": tenant,
        "tenant": tenant,
        "domain": domain.settings.domain_name,
        "domain_home": domain.settings.region,
        "region_name": region_name(domain.settings.region),
        "tenant_iss": urls.tenant_iss,
        "primTenant": False,
        "iat": now,
        "exp": exp,
        "jti": ids.jti(),
    }


def _user_claims(domain: IdentityDomain, user: User, session: Session | None) -> dict[str, Any]:
    claims = {
        "sub": user.user_name,
        "sub_type": "user",
        "sub_mappingattr": "userName",
        "user.tenant.name": domain.tenant,
        "user_tenantname": domain.tenant,
        "user_id": user.guid,
        "user_displayname": user.display_name or user.name or user.user_name,
        "user_tz": user.timezone,
        "user_locale": user.locale,
        "user_lang": user.locale.split("-")[0] or "en",
        "idp_type": "LOCAL",
        "sidle": domain.settings.session_ttl // 60,
    }
    if session is not None:
        claims.update(
            {"sid": session.sid, "amr": list(session.amr), "idp_name": session.idp_name, "idp_guid": session.idp_name}
        )
    return claims


def access_token_claims(
    domain: IdentityDomain, urls: Urls, grant: Grant, resource: ResourceScopes, now: int, ttl: int
) -> dict[str, Any]:
    client = grant.client
    claims = _common(domain, urls, client, now, now + ttl)
    if grant.user is None:
        claims.update(
            {
                "sub": client.client_id,
                "sub_type": "client",
                "sub_mappingattr": "userName",
                "user.tenant.name": domain.tenant,
            }
        )
    else:
        claims.update(_user_claims(domain, grant.user, grant.session))
        claims["userAppRoles"] = ["Authenticated", *grant.user.app_roles]
    claims.update(
        {
            "tok_type": "AT",
            "aud": resource.aud,
            "scope": grant.scopes.scope_claim(resource),
            "gtp": grant.gtp,
            "clientAppRoles": list(client.app_roles),
        }
    )
    claims.update(client.claims)
    if grant.user is not None:
        claims.update(grant.user.claims)
    _add_custom_claims(domain, claims, "AT", grant)
    return claims


def _add_custom_claims(domain: IdentityDomain, claims: dict[str, Any], tok_type: str, grant: Grant) -> None:
    """The admin API's CustomClaims that match this token (none were ever created: nothing to read)."""
    from mockidp.core import runtime

    revision = domain.store.get(runtime.REVISION_NS, runtime.CUSTOM_CLAIMS_REVISION)
    if revision is None:
        return
    from mockidp.core.admin import custom_claims

    claims.update(custom_claims.claims_for(domain, revision["rev"], tok_type, grant))


def half_hash(value: str) -> str:
    """`at_hash` / `c_hash`: the left half of the SHA-256 of the value, base64url (OIDC Core §3.1.3.6)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64url_encode(digest[: len(digest) // 2]).decode()


def id_token_claims(
    domain: IdentityDomain,
    urls: Urls,
    grant: Grant,
    now: int,
    *,
    access_token: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """An ID token as the real service makes it: `aud` [issuer, client_id], `exp` = end of the SSO session."""
    assert grant.user is not None, "an ID token needs a user"
    session = grant.session or Session.start(now, domain.settings.session_ttl)
    client = grant.client
    claims = _common(domain, urls, client, now, session.expires_at)
    claims.update(_user_claims(domain, grant.user, session))
    claims.update(
        {
            "tok_type": "IT",
            "aud": [urls.issuer, client.client_id],
            "azp": client.client_id,
            "auth_time": session.auth_time,
            "session_exp": session.expires_at,
        }
    )
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    if access_token is not None:
        claims["at_hash"] = half_hash(access_token)
    if code is not None:
        claims["c_hash"] = half_hash(code)
    if grant.scopes.has("get_groups"):
        claims["groups"] = _groups(domain, grant.user, "name")
    if grant.scopes.has("get_approles"):
        claims["appRoles"] = [_named(domain, "approle", name, "name") for name in grant.user.app_roles]
    if domain.settings.id_token_profile:
        asked = [scope for scope in PROFILE_SCOPES if grant.scopes.has(scope)]
        profile = userinfo_claims(domain, grant.user, asked) if asked else {}
        claims.update({name: value for name, value in profile.items() if name not in claims})
    claims.update(grant.user.claims)
    _add_custom_claims(domain, claims, "IT", grant)
    return claims


def _named(domain: IdentityDomain, kind: str, name: str, label: str) -> dict[str, str] | str:
    """A group or app role as the real service lists it, `{"id", <label>: name}`; with `group_claims = "names"`
    the bare name, for clients that match claims by string (mod_auth_openidc's `Require claim groups:…`)."""
    if domain.settings.group_claims == "names":
        return name
    return {"id": ids.stable_guid(kind, domain.tenant, name), label: name}


def _groups(domain: IdentityDomain, user: User, label: str) -> list[dict[str, str]]:
    """The user's groups as claims: `{"id", label}`, ids as the admin API's Groups have them."""
    from mockidp.core import runtime  # runtime imports fixtures, which import (through trusts) this module

    if domain.store.get(runtime.REVISION_NS, runtime.GROUPS_REVISION) is None:  # no group changed at run time
        return [_named(domain, "group", name, label) for name in user.groups]
    from mockidp.core.admin.groups import of_user

    return [{"id": group_id, label: name} for group_id, name in of_user(domain, user)]


# What `id_token_profile = true` copies from userinfo into ID tokens (the real service keeps them to userinfo).
PROFILE_SCOPES = ("profile", "email", "phone")


def userinfo_claims(domain: IdentityDomain, user: User, scopes: Iterable[str]) -> dict[str, Any]:
    """Userinfo by OIDC scope, in the documented sample's order; unset profile fields are empty strings."""
    scopes = set(scopes)
    profile = "profile" in scopes
    claims: dict[str, Any] = {}
    if profile:
        claims["birthdate"] = user.birthdate
    if "email" in scopes:
        claims.update({"email": user.email, "email_verified": user.email_verified})
    if profile:
        claims.update({"family_name": user.family_name, "gender": user.gender, "given_name": user.given_name})
    if scopes & {"approles", "get_approles"}:
        claims["appRoles"] = [_named(domain, "approle", name, "displayName") for name in user.app_roles]
    if scopes & {"groups", "get_groups"}:
        claims["groups"] = _groups(domain, user, "displayName")
    if profile:
        claims.update({"name": user.name, "preferred_username": user.user_name})
    claims["sub"] = user.user_name
    if profile:
        claims.update({"updated_at": user.updated_at, "website": user.website})
    if "phone" in scopes:
        claims.update({"phone_number": user.phone_number, "phone_number_verified": False})
    claims.update(user.claims)
    return claims
