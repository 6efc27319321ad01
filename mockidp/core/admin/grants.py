"""`/admin/v1/Grants`: an app role (or an app itself) granted to a user, a group or an app (the SDK's `Grant`).

The fixtures' `app_roles` of clients and users are Grants too (`grantMechanism` ADMINISTRATOR_TO_APP /
ADMINISTRATOR_TO_USER, stable ids); deleting one takes the role away, creating one gives it. Grants change the
next token at once: `IdentityDomain.with_grants` hands the token endpoints a client or user whose `app_roles` are
the granted ones, so `urn:opc:idm:*` scopes (`__myscopes__`), `clientAppRoles`/`userAppRoles`, and `appRoles` in ID
tokens and userinfo all follow. A grant to a group reaches the group's members.

A Grant without `entitlement` grants the app itself to a user or group: it puts the app in their MyApps
(`apps.apps_for_user`). [choice] Grants are create/read/delete only, as in the real service (no PUT/PATCH).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from mockidp.core import ids, runtime
from mockidp.core.admin import app_roles, apps, errors
from mockidp.core.admin.custom_claims import SERVICE_SET
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import COMPLEX, IMMUTABLE, READ_ONLY, Attribute, Operations, ResourceType, Schema
from mockidp.core.model import Client, User

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain

T = TypeVar("T")
SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:Grant"
NS = "admin_grants"  # grant id -> record; {"removed": true} records take back a fixture grant
USER, GROUP, APP = "User", "Group", "App"
MECHANISMS = {
    USER: "ADMINISTRATOR_TO_USER",
    GROUP: "ADMINISTRATOR_TO_GROUP",
    APP: "ADMINISTRATOR_TO_APP",
}
APP_ROLES_ATTRIBUTE = "appRoles"
MAX_GRANTS = 10000  # [choice] grants made through the admin API (bounded state)
READ = frozenset({"urn:opc:idm:t.app", "urn:opc:idm:t.users", "urn:opc:idm:t.groups"})
WRITE = frozenset({"urn:opc:idm:t.app"})  # [choice] granting roles is for Application/Domain Administrators


@dataclass(frozen=True)
class Overlay:
    """What Grants changed, by grantee id: roles given, roles taken back (fixture grants deleted)."""

    added: dict[str, tuple[str, ...]]  # by client_id for an App, by id for a user or group (see `_record`)
    removed: dict[str, frozenset[str]]
    groups: bool  # any grant to a group (only then is a user's membership looked up)


# ---------------------------------------------------------------------------------------------- ids


def user_id(user: User) -> str:
    """A user's SCIM id (= the tokens' `user_id`)."""
    return getattr(user, "id", None) or user.guid


def group_ids(domain: IdentityDomain, user: User) -> list[str]:
    """The SCIM ids of the groups a user is a member of (`groups.of_user`, the one source of membership)."""
    from mockidp.core.admin import groups

    return [ident or ids.stable_guid("group", domain.tenant, name) for ident, name in groups.of_user(domain, user)]


def grant_id(grantee_type: str, grantee: str, app_id: str, role: str | None) -> str:
    return ids.stable_guid("grant", grantee_type, grantee, app_id, role or "")


# ---------------------------------------------------------------------------------------------- the effect on tokens


def with_grants(domain: IdentityDomain, entity: T) -> T:
    """`entity` (a Client or User) with its app roles as Grants make them; `IdentityDomain.with_grants` calls this."""
    revision = domain.store.get(runtime.REVISION_NS, runtime.GRANTS_REVISION)
    if revision is None:
        return entity
    overlay = domain.derived("grants", revision["rev"], lambda: _overlay(domain))
    if isinstance(entity, Client):
        keys = [entity.client_id]
    elif isinstance(entity, User):
        keys = [user_id(entity), *(group_ids(domain, entity) if overlay.groups else ())]
    else:
        return entity
    if not any(key in overlay.added or key in overlay.removed for key in keys):
        return entity
    removed = overlay.removed.get(keys[0], frozenset())
    roles = [role for role in entity.app_roles if role not in removed]
    for key in keys:
        roles += overlay.added.get(key, ())
    roles = list(dict.fromkeys(roles))
    if roles == list(entity.app_roles):
        return entity
    return replace(entity, app_roles=tuple(roles))


def _overlay(domain: IdentityDomain) -> Overlay:
    added: dict[str, list[str]] = {}
    removed: dict[str, set[str]] = {}
    for _, record in domain.store.items(NS):
        role = record.get("role")
        if role is None:
            continue  # an app granted, not a role
        grantee = record.get("key") or record["grantee"]["value"]
        if record.get("removed"):
            removed.setdefault(grantee, set()).add(role)
        else:
            added.setdefault(grantee, []).append(role)
    return Overlay(
        {key: tuple(value) for key, value in added.items()},
        {key: frozenset(value) for key, value in removed.items()},
        any(record["grantee"]["type"] == GROUP for _, record in domain.store.items(NS)),
    )


# ---------------------------------------------------------------------------------------------- the records


def _fixture_grants(domain: IdentityDomain) -> dict[str, dict[str, Any]]:
    """The grants the fixtures (and control-plane entries) declare through `app_roles`."""
    found: dict[str, dict[str, Any]] = {}
    for client in runtime.clients(domain).values():
        for role in client.app_roles:
            record = _record(domain, APP, client.guid, client.display_name, role, None, client.client_id)
            found[record["id"]] = record
    for user in runtime.users(domain).values():
        for role in user.app_roles:
            record = _record(domain, USER, user_id(user), user.display_name or user.name or user.user_name, role, None)
            found[record["id"]] = record
    return found


def _record(
    domain: IdentityDomain,
    grantee_type: str,
    grantee: str,
    display: str,
    role: str | None,
    app: str | None,
    key: str | None = None,
) -> dict[str, Any]:
    """A grant record; `key` is what token requests look the grantee up by (an App's client_id, else its id)."""
    app_id = app or app_roles.IDCS_APP_ID
    return {
        "id": grant_id(grantee_type, grantee, app_id, role),
        "key": key or grantee,
        "grantee": {"type": grantee_type, "value": grantee, "display": display},
        "app": app_id,
        "role": role,
        "mechanism": MECHANISMS[grantee_type],
    }


def records(domain: IdentityDomain) -> dict[str, dict[str, Any]]:
    """Every grant in force by id: the fixtures' unless taken back, and the ones the API created."""
    found = _fixture_grants(domain)
    stored = domain.store.items(NS)
    if not stored:
        return found
    alive = _alive(domain)
    for key, record in stored:
        if record.get("removed"):
            found.pop(key, None)
        elif record["grantee"]["value"] in alive and (record["app"] in alive or record["app"] == app_roles.IDCS_APP_ID):
            found[key] = record  # (a grant whose grantee or app was deleted since is gone with it)
    return found


def _alive(domain: IdentityDomain) -> set[str]:
    """The ids of the users, groups and Apps there are now."""
    from mockidp.core.admin import groups

    found = {user_id(user) for user in runtime.users(domain).values()}
    found.update(apps.apps(domain))
    listed = groups.GROUP_TYPE.operations.list
    found.update(group["id"] for group in (listed(domain) if listed else ()))
    return found


def to_scim(domain: IdentityDomain, record: dict[str, Any]) -> dict[str, Any]:
    app_id = record["app"]
    created = record.get("created") or apps.fixture_created(domain)
    version = version_of([record["id"], created])
    body: dict[str, Any] = {
        "schemas": [SCHEMA],
        "id": record["id"],
        "meta": meta("Grant", "Grants", record["id"], created, created, version),
        "grantMechanism": record["mechanism"],
        "grantee": dict(record["grantee"]),
        "app": {"value": app_id, "display": apps.display_name(domain, app_id)},
        "isFulfilled": True,
        "compositeKey": f"{record['grantee']['value']}:{app_id}:{record.get('role') or ''}",
        **apps.changed_by(record),
    }
    if record.get("role") is not None:
        body["entitlement"] = {
            "attributeName": APP_ROLES_ATTRIBUTE,
            "attributeValue": app_roles.role_id(domain, record["role"]),
        }
    return body


# ---------------------------------------------------------------------------------------------- the operations


def list_grants(domain: IdentityDomain) -> list[dict[str, Any]]:
    return [to_scim(domain, record) for record in records(domain).values()]


def get_grant(domain: IdentityDomain, ident: str) -> dict[str, Any] | None:
    record = records(domain).get(ident)
    return None if record is None else to_scim(domain, record)


def create_grant(domain: IdentityDomain, body: Any, caller: Caller | None = None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The body must be a JSON object: a Grant resource.")
    if not isinstance(body.get("schemas"), list) or SCHEMA not in body["schemas"]:
        raise errors.invalid_syntax(f'A Grant needs "schemas": ["{SCHEMA}"].')
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise errors.invalid_syntax(
            f"{unknown[0]!r} is not a Grant attribute mockidp supports; a Grant is grantee, app, entitlement and "
            "grantMechanism."
        )
    missing = [key for key in ("grantee", "grantMechanism") if body.get(key) is None]
    if missing:
        raise errors.missing_required(missing)
    grantee_type, grantee, display, key = _grantee(domain, body.get("grantee"))
    mechanism = body.get("grantMechanism")
    if mechanism != MECHANISMS[grantee_type]:
        raise _invalid(
            f"grantMechanism {mechanism!r} does not fit a grantee of type {grantee_type}; "
            f"use {MECHANISMS[grantee_type]!r} (the only mechanism mockidp supports for it)."
        )
    app_id = _app(domain, body.get("app"))
    role = _entitlement(domain, body.get("entitlement"), app_id, grantee_type)
    if role is None and grantee_type == APP:
        raise _invalid("A grant to an App needs an entitlement: the app role it grants.")
    record = _record(domain, grantee_type, grantee, display, role, app_id, key)
    if record["id"] in records(domain):
        what = f"app role {role!r}" if role else f"app {app_id}"
        raise errors.uniqueness(f"The {grantee_type} {grantee} already has a grant of {what}.")
    stored = {**record, "created": domain.clock.now(), "by": caller.reference() if caller is not None else None}
    if record["id"] in _fixture_grants(domain):
        domain.store.delete(NS, record["id"])  # the tombstone of a deleted fixture grant: in force again
        stored = record
    elif domain.store.count(NS) >= MAX_GRANTS:
        raise _invalid(f"This identity domain holds {MAX_GRANTS} grants made here, mockidp's limit; delete some.")
    elif not domain.store.add(NS, record["id"], stored):  # of two identical creates, one wins
        raise errors.uniqueness(f"The {grantee_type} {grantee} already has this grant.")
    runtime.bump(domain, runtime.GRANTS_REVISION)
    return to_scim(domain, stored)


def delete_grant(domain: IdentityDomain, ident: str, caller: Caller | None = None) -> None:
    record = records(domain).get(ident)
    if record is None:
        raise errors.not_found("Grant", ident)
    if ident in _fixture_grants(domain):
        domain.store.put(NS, ident, {**record, "removed": True})
    else:
        domain.store.delete(NS, ident)
    runtime.bump(domain, runtime.GRANTS_REVISION)


def delete_for_grantee(domain: IdentityDomain, grantee: str) -> None:
    """Drop the API's grants to a grantee that is gone (an App deleted)."""
    doomed = [key for key, record in domain.store.items(NS) if record["grantee"]["value"] == grantee]
    for key in doomed:
        domain.store.delete(NS, key)
    if doomed:
        runtime.bump(domain, runtime.GRANTS_REVISION)


def app_grantees(domain: IdentityDomain) -> set[str]:
    """The ids of the apps some Grant without an entitlement names (apps given to chosen users or groups)."""
    return {record["app"] for record in records(domain).values() if record.get("role") is None}


def apps_granted(domain: IdentityDomain, user: User) -> list[str]:
    """The ids of the apps granted (without a role) to a user or to one of the user's groups."""
    keys = {user_id(user), *group_ids(domain, user)}
    return [
        record["app"]
        for record in records(domain).values()
        if record.get("role") is None and record["grantee"]["value"] in keys
    ]


# ---------------------------------------------------------------------------------------------- reading a request


def _grantee(domain: IdentityDomain, raw: Any) -> tuple[str, str, str, str]:
    """(type, id, display, lookup key) of the grantee a request names."""
    if not isinstance(raw, dict):
        raise _invalid('grantee is required: {"type": "User" | "Group" | "App", "value": "<id>"}.')
    kind, value = raw.get("type"), raw.get("value")
    if kind not in MECHANISMS:
        raise _invalid(f"grantee.type must be one of {', '.join(MECHANISMS)}, got {kind!r}.")
    if not isinstance(value, str) or not value:
        raise _invalid(f"grantee.value must be the id of the {kind} that receives the grant.")
    if kind == USER:
        user = next((u for u in runtime.users(domain).values() if user_id(u) == value), None)
        if user is None:
            raise _invalid(f"grantee.value {value!r} is not the id of a user of this identity domain.")
        return kind, value, user.display_name or user.name or user.user_name, value
    if kind == GROUP:
        from mockidp.core.admin import groups

        group = groups.GROUP_TYPE.operations.get(domain, value) if groups.GROUP_TYPE.operations.get else None
        if group is None:
            raise _invalid(f"grantee.value {value!r} is not the id of a group of this identity domain.")
        return kind, value, group["displayName"], value
    client = next((c for c in runtime.clients(domain).values() if c.guid == value), None)
    if client is None:
        raise _invalid(f"grantee.value {value!r} is not the id of an App that is an OAuth client.")
    return kind, value, client.display_name, client.client_id


def _app(domain: IdentityDomain, raw: Any) -> str:
    if raw is None:
        return app_roles.IDCS_APP_ID
    value = raw.get("value") if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise _invalid('app must be {"value": "<App id>"}.')
    if apps.find(domain, value) is None:
        raise _invalid(f"app.value {value!r} is not the id of an App of this identity domain.")
    return value


def _entitlement(domain: IdentityDomain, raw: Any, app_id: str, grantee_type: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _invalid('entitlement must be {"attributeName": "appRoles", "attributeValue": "<AppRole id>"}.')
    if raw.get("attributeName") != APP_ROLES_ATTRIBUTE:
        raise _invalid(
            f"entitlement.attributeName {raw.get('attributeName')!r} is not supported; mockidp grants app roles "
            f'only ("{APP_ROLES_ATTRIBUTE}").'
        )
    value = raw.get("attributeValue")
    role = app_roles.by_id(domain, value) if isinstance(value, str) else None
    if role is None:
        raise _invalid(f"entitlement.attributeValue {value!r} is not the id of an AppRole (see /admin/v1/AppRoles).")
    if role.app_id != app_id:
        raise _invalid(f"AppRole {role.name!r} belongs to app {role.app_id}, not to app {app_id}.")
    if role.name in app_roles.IMPLICIT_ROLES:
        raise _invalid(f"Every user holds {role.name!r} already; it cannot be granted.")
    if grantee_type == APP and not role.available_to_clients:
        raise _invalid(f"AppRole {role.name!r} is for users, not for apps.")
    if grantee_type != APP and not role.available_to_users:
        raise _invalid(f"AppRole {role.name!r} is for apps (clients), not for users or groups.")
    return role.name


def _invalid(detail: str) -> errors.ScimError:
    return errors.invalid_value(detail)


# ---------------------------------------------------------------------------------------------- the resource type

ACCEPTED = SERVICE_SET | {"schemas", "grantee", "app", "entitlement", "grantMechanism", "isFulfilled", "compositeKey"}


def _reference(name: str, *subs: Attribute, required: bool = False) -> Attribute:
    return Attribute(name, COMPLEX, required=required, mutability=IMMUTABLE, sub_attributes=subs)


SCHEMA_DEFINITION = Schema(
    SCHEMA,
    "Grant",
    "Schema for Grant resource.",
    (
        Attribute("grantMechanism", required=True, mutability=IMMUTABLE, canonical_values=tuple(MECHANISMS.values())),
        _reference(
            "grantee",
            Attribute("value", required=True, case_exact=True),
            Attribute("type", required=True, canonical_values=tuple(MECHANISMS)),
            Attribute("display", mutability=READ_ONLY),
            required=True,
        ),
        _reference(
            "app", Attribute("value", required=True, case_exact=True), Attribute("display", mutability=READ_ONLY)
        ),
        _reference(
            "entitlement",
            Attribute("attributeName", required=True, canonical_values=(APP_ROLES_ATTRIBUTE,)),
            Attribute("attributeValue", required=True, case_exact=True),
        ),
        Attribute("isFulfilled", "boolean", mutability=READ_ONLY),
        Attribute("compositeKey", mutability=READ_ONLY),
    ),
)


def by_id(domain: IdentityDomain, ident: str) -> list[dict[str, Any]]:
    found = get_grant(domain, ident)
    return [found] if found else []


GRANT_TYPE = ResourceType(
    name="Grant",
    endpoint="Grants",
    schema=SCHEMA_DEFINITION,
    extensions=(),
    operations=Operations(
        list=list_grants, get=get_grant, create=create_grant, delete=delete_grant, index={"id": by_id}
    ),
    read_scopes=READ,
    write_scopes=WRITE,
    description="Grant",
)
