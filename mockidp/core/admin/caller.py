"""Who is calling the admin API, and whether they may do what they ask.

A caller is the subject of a Bearer access token of this domain (a user, or a client on its own behalf) with
the `urn:opc:idm:*` scopes the token carries — which come from app roles (`mockidp.core.scopes`). An OCI
API-key signature is turned into a Caller by `mockidp.core.admin.signatures` (the user whose key it is, with
that user's app roles' scopes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core.admin import errors
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.admin.resource import ResourceType
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User

IDM_PREFIX = "urn:opc:idm:"


@dataclass(frozen=True)
class Caller:
    kind: str  # "user" or "client"
    client_id: str | None
    user_name: str | None
    user_id: str | None
    scopes: frozenset[str]  # the urn:opc:idm:* scopes the caller holds
    display: str = ""
    app_roles: tuple[str, ...] = ()  # the user's app roles (user tokens) or the client's (client tokens), now

    def may(self, scopes: frozenset[str]) -> bool:
        return bool(self.scopes & scopes)

    def reference(self, base: str = "") -> dict[str, Any]:
        """`idcsCreatedBy` / `idcsLastModifiedBy` for what this caller does."""
        if self.kind == "user":
            return {
                "value": self.user_id,
                "display": self.display or self.user_name,
                "type": "User",
                "$ref": f"{base}/admin/v1/Users/{self.user_id}",
            }
        return {
            "value": self.client_id,
            "display": self.display or self.client_id,
            "type": "App",
            "$ref": f"{base}/admin/v1/Apps/{self.client_id}",
        }


def from_token(domain: IdentityDomain, token: str | None) -> Caller:
    """The caller an access token names, or the SCIM 401 saying why it is not accepted."""
    if not token:
        raise errors.unauthorized("Send an access token of this identity domain as Authorization: Bearer <token>.")
    try:
        claims = verify_token(domain, token)
    except TokenRejected as exc:
        raise errors.unauthorized(str(exc)) from None
    scopes = frozenset(s for s in str(claims.get("scope", "")).split() if s.startswith(IDM_PREFIX))
    if claims.get("sub_type") == "user":
        user = domain.user(str(claims.get("sub")))
        if user is None:
            raise errors.unauthorized("The user of this access token no longer exists.")
        if not user.active:
            raise errors.unauthorized(f"The user {user.user_name} is deactivated.")
        roles = ("Authenticated", *user.app_roles)
        return Caller("user", claims.get("client_id"), user.user_name, user.guid, scopes, user.display_name, roles)
    client_id = str(claims.get("client_id") or claims.get("sub"))
    client = domain.client(client_id)
    if client is None:
        raise errors.unauthorized("The client of this access token no longer exists.")
    return Caller("client", client_id, None, None, scopes, client.display_name, tuple(client.app_roles))


def for_user(domain: IdentityDomain, user: User) -> Caller:
    """The caller a user is when they sign a request with their own key (an OCI API-key signature): every
    `urn:opc:idm:*` scope their app roles grant (and Authenticated's), as `urn:opc:idm:__myscopes__` would."""
    from mockidp.core.scopes import APP_ROLE_SCOPES

    roles = ("Authenticated", *user.app_roles)
    scopes = frozenset(scope for role in roles for scope in APP_ROLE_SCOPES.get(role, ()))
    return Caller("user", None, user.user_name, user.guid, scopes, user.display_name, roles)


def check(caller: Caller, resource_type: ResourceType, *, write: bool) -> None:
    """The SCIM 403 unless the caller's scopes allow reading (or changing) this resource type."""
    needed = resource_type.write_scopes if write else resource_type.read_scopes
    if caller.may(needed):
        return
    action = "change" if write else "read"
    raise errors.forbidden(
        f"The access token does not allow to {action} {resource_type.endpoint}: it needs one of the scopes "
        f"{', '.join(sorted(needed))} (from app roles such as Identity Domain Administrator or User "
        "Administrator; ask for urn:opc:idm:__myscopes__)."
    )
