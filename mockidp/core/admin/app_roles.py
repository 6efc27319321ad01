"""`/admin/v1/AppRoles`: the roles apps define (the OCI SDK's `AppRole` model), read-only.

The identity domain's own roles — Identity Domain Administrator, User Administrator, Application Administrator,
Security Administrator, Authenticated Client… (`scopes.APP_ROLE_SCOPES`, with the `urn:opc:idm:*` scopes they
grant) — belong to the domain's own app, `IDCSAppId`. [choice] A role that fixtures name (a client's or user's
`app_roles`) but the domain does not define is listed too, as a non-admin role of `IDCSAppId`, so that every
role a token can carry has an id a Grant can name. A role's id is stable: the id that tokens' and userinfo's
`appRoles` objects already carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core import ids, runtime
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import BOOLEAN, COMPLEX, READ_ONLY, Attribute, Operations, ResourceType, Schema
from mockidp.core.scopes import APP_ROLE_SCOPES

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:AppRole"
IDCS_APP_ID = "IDCSAppId"  # the identity domain's own app, owner of its administrator roles
IDCS_APP_NAME = "IDCSAppId"
IDCS_APP_DISPLAY = "Identity Domain"
# Roles every user or client holds without a grant ([seen] userAppRoles ["Authenticated"]).
IMPLICIT_ROLES = frozenset({"Authenticated"})
# [choice] Roles for clients only, and roles for users only; the rest may be granted to either.
CLIENT_ONLY = frozenset({"Authenticated Client"})
USER_ONLY = frozenset({"Authenticated", "Me"})
NOT_ADMIN = frozenset({"Authenticated", "Authenticated Client", "Me"})
READ = frozenset({"urn:opc:idm:t.app", "urn:opc:idm:t.users", "urn:opc:idm:t.groups", "urn:opc:idm:t.security"})


@dataclass(frozen=True)
class AppRole:
    id: str
    name: str
    app_id: str = IDCS_APP_ID
    admin_role: bool = False
    defined: bool = True  # False: only named in fixtures, unknown to the domain (grants no idm scope)

    @property
    def available_to_clients(self) -> bool:
        return self.name not in USER_ONLY

    @property
    def available_to_users(self) -> bool:
        return self.name not in CLIENT_ONLY

    def to_scim(self, created: float) -> dict[str, Any]:
        scopes = APP_ROLE_SCOPES.get(self.name, ())
        description = (
            f"Grants {', '.join(scopes)}."
            if scopes
            else "Named in fixtures; grants no identity-domain scope."
            if not self.defined
            else ""
        )
        return {
            "schemas": [SCHEMA],
            "id": self.id,
            "meta": meta("AppRole", "AppRoles", self.id, created, created, version_of([self.id, self.app_id])),
            "displayName": self.name,
            "uniqueName": f"{IDCS_APP_NAME}_{self.name.replace(' ', '')}",
            "description": description,
            "adminRole": self.admin_role,
            "availableToUsers": self.available_to_users,
            "availableToGroups": self.available_to_users,
            "availableToClients": self.available_to_clients,
            "public": False,
            "limitedToOneOrMoreGroups": False,
            "app": {
                "value": self.app_id,
                "display": IDCS_APP_DISPLAY,
                "name": IDCS_APP_NAME,
                "$ref": f"/admin/v1/Apps/{self.app_id}",
            },
        }


def role_id(domain: IdentityDomain, name: str) -> str:
    """The role's id: the one `appRoles` objects in ID tokens and userinfo carry (`claims._named`)."""
    return ids.stable_guid("approle", domain.tenant, name)


def roles(domain: IdentityDomain) -> dict[str, AppRole]:
    """Every role by id: the domain's own, then the ones fixtures name."""
    found: dict[str, AppRole] = {}
    for name in APP_ROLE_SCOPES:
        role = AppRole(role_id(domain, name), name, admin_role=name not in NOT_ADMIN)
        found[role.id] = role
    named = [role for client in runtime.clients(domain).values() for role in client.app_roles]
    named += [role for user in runtime.users(domain).values() for role in user.app_roles]
    for name in named:
        if name not in APP_ROLE_SCOPES:
            role = AppRole(role_id(domain, name), name, defined=False)
            found.setdefault(role.id, role)
    return found


def by_id(domain: IdentityDomain, ident: str) -> AppRole | None:
    return roles(domain).get(ident)


def by_name(domain: IdentityDomain, name: str) -> AppRole | None:
    return roles(domain).get(role_id(domain, name))


# ---------------------------------------------------------------------------------------------- the resource type


def _created(domain: IdentityDomain) -> float:
    from mockidp.core.admin.apps import fixture_created

    return fixture_created(domain)


def list_app_roles(domain: IdentityDomain) -> list[dict[str, Any]]:
    created = _created(domain)
    return [role.to_scim(created) for role in roles(domain).values()]


def get_app_role(domain: IdentityDomain, ident: str) -> dict[str, Any] | None:
    role = by_id(domain, ident)
    return None if role is None else role.to_scim(_created(domain))


SCHEMA_DEFINITION = Schema(
    SCHEMA,
    "AppRole",
    "Schema for AppRole resource.",
    (
        Attribute("displayName", required=True, mutability=READ_ONLY),
        Attribute("uniqueName", mutability=READ_ONLY),
        Attribute("description", mutability=READ_ONLY),
        Attribute("adminRole", BOOLEAN, mutability=READ_ONLY),
        Attribute("availableToUsers", BOOLEAN, mutability=READ_ONLY),
        Attribute("availableToGroups", BOOLEAN, mutability=READ_ONLY),
        Attribute("availableToClients", BOOLEAN, mutability=READ_ONLY),
        Attribute("public", BOOLEAN, mutability=READ_ONLY),
        Attribute("limitedToOneOrMoreGroups", BOOLEAN, mutability=READ_ONLY),
        Attribute(
            "app",
            COMPLEX,
            required=True,
            mutability=READ_ONLY,
            sub_attributes=(
                Attribute("value", mutability=READ_ONLY, case_exact=True),
                Attribute("display", mutability=READ_ONLY),
                Attribute("name", mutability=READ_ONLY),
                Attribute("$ref", "reference", mutability=READ_ONLY),
            ),
        ),
    ),
)
APP_ROLE_TYPE = ResourceType(
    name="AppRole",
    endpoint="AppRoles",
    schema=SCHEMA_DEFINITION,
    extensions=(),
    operations=Operations(list=list_app_roles, get=get_app_role),
    read_scopes=READ,
    write_scopes=frozenset({"urn:opc:idm:t.app"}),
    description="AppRole",
)
