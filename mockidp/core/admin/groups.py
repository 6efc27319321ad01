"""`/admin/v1/Groups`, and group membership: the one place Users, tokens and userinfo read it from.

Fixture groups (`[[groups]]`, plus the names users list in their `groups` key, see fixtures.py) have the id the
`groups` claim has always carried for their name. A group changed through the API becomes a record in the
store (`GROUPS`, keyed by id: its values, or a tombstone for a deleted fixture group); the record's member
list (user ids) is then the whole truth for that group. A user's groups are the groups listing it, plus any name
in the user's own `groups` key that is no group at all (e.g. a control-plane user's) — so tokens and the
admin API always agree. Every change bumps a revision that caches of memberships and user resources key on.

[choice] `members` is returned only on request (`attributes=members`), as the real service's Group schema
says (returned: request); `description` lives in the Oracle group extension, as in the OCI SDK's model.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mockidp.core import ids, runtime
from mockidp.core.admin import errors
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import (
    ALWAYS,
    BOOLEAN,
    COMPLEX,
    DATETIME,
    IMMUTABLE,
    READ_ONLY,
    REFERENCE,
    REQUEST,
    Attribute,
    Operations,
    ResourceType,
    Schema,
)

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.admin.resource import Resource
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User

GROUPS = "admin_groups"  # group id -> {"rev", "values", …} or a tombstone {"rev", "removed": True}
REVISION_NS, REVISION = runtime.REVISION_NS, runtime.GROUPS_REVISION
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
GROUP_EXTENSION = "urn:ietf:params:scim:schemas:oracle:idcs:extension:group:Group"
READ = frozenset({"urn:opc:idm:t.groups", "urn:opc:idm:t.users", "urn:opc:idm:t.user.manager"})
WRITE = frozenset({"urn:opc:idm:t.groups"})
MAX_MEMBERS = 10_000
MAX_GROUPS = 10_000  # [choice] groups in the store at most

CORE = Schema(
    GROUP_SCHEMA,
    "Group",
    "Group",
    (
        Attribute("externalId", case_exact=True),
        Attribute("displayName", required=True, uniqueness="global", returned=ALWAYS),
        Attribute("nonUniqueDisplayName"),
        Attribute(
            "members",
            COMPLEX,
            multi_valued=True,
            returned=REQUEST,
            sub_attributes=(
                Attribute("value", required=True, case_exact=True, mutability=IMMUTABLE),
                Attribute("type", required=True, canonical_values=("User",), mutability=IMMUTABLE),
                Attribute("display", mutability=READ_ONLY),
                Attribute("name", mutability=READ_ONLY),
                Attribute("ocid", mutability=IMMUTABLE),
                Attribute("$ref", REFERENCE, mutability=READ_ONLY),
                Attribute("dateAdded", DATETIME, mutability=READ_ONLY),
                Attribute("membershipOcid", mutability=READ_ONLY),
            ),
        ),
        Attribute("tags", COMPLEX, multi_valued=True, sub_attributes=(Attribute("key"), Attribute("value"))),
    ),
)
IDCS_EXTENSION = Schema(
    GROUP_EXTENSION,
    "GroupExtension",
    "Oracle Identity Cloud Service Group",
    (
        Attribute("description"),
        Attribute("creationMechanism", mutability=IMMUTABLE, returned=REQUEST),
        Attribute("groupType", mutability=READ_ONLY),
        Attribute("visibleToEndUser", BOOLEAN),
    ),
)


# ---------------------------------------------------------------------------------------------- membership


def revision(domain: IdentityDomain) -> str:
    """Changes whenever a group changes: caches of user resources and memberships key on it."""
    record = domain.store.get(REVISION_NS, REVISION)
    return record["rev"] if record else "fixtures"


def _bump(domain: IdentityDomain) -> None:
    domain.store.put(REVISION_NS, REVISION, {"rev": uuid.uuid4().hex})


def fixture_id(domain: IdentityDomain, name: str) -> str:
    return ids.stable_guid("group", domain.tenant, name)


def _fixture_groups(domain: IdentityDomain) -> dict[str, dict[str, Any]]:
    """id -> values of the fixture groups, members as user ids (built once per domain)."""
    found = domain.cache.get("fixture-groups")
    if found is None:
        users = domain.fixtures.users
        found = {
            fixture_id(domain, group.display_name): {
                "display_name": group.display_name,
                "description": group.description,
                "members": [users[name].guid for name in group.members if name in users],
            }
            for group in domain.fixtures.groups
        }
        domain.cache["fixture-groups"] = found
    return found


def _live(domain: IdentityDomain) -> tuple[dict[str, tuple[dict[str, Any], dict[str, Any] | None]], set[str]]:
    """id -> (values, record or None) of the groups now, and every id the API has touched (deleted ones too)."""
    key = ("groups-live", revision(domain))
    found = domain.cache.get(key)
    if found is not None:
        return found
    merged: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
        group_id: (values, None) for group_id, values in _fixture_groups(domain).items()
    }
    touched: set[str] = set()
    for group_id, record in domain.store.items(GROUPS):
        touched.add(group_id)
        if record.get("removed"):
            merged.pop(group_id, None)
        else:
            merged[group_id] = (record["values"], record)
    found = domain.cache[key] = (merged, touched)
    return found


def _memberships(domain: IdentityDomain) -> dict[str, list[tuple[str, str]]]:
    key = ("groups-members", revision(domain))
    found = domain.cache.get(key)
    if found is None:
        found = {}
        for group_id, (values, _) in _live(domain)[0].items():
            for member in values["members"]:
                found.setdefault(member, []).append((group_id, values["display_name"]))
        domain.cache[key] = found
    return found


def of_user(domain: IdentityDomain, user: User) -> list[tuple[str, str]]:
    """(group id, display name) of every group the user is a member of."""
    if revision(domain) == "fixtures":
        return [(fixture_id(domain, name), name) for name in user.groups]
    live, touched = _live(domain)
    names = {values["display_name"] for values, _ in live.values()}
    found = list(_memberships(domain).get(user.guid, []))
    for name in user.groups:  # names that are no group (e.g. set by the control plane) still count
        group_id = fixture_id(domain, name)
        if group_id not in live and group_id not in touched and name not in names:
            found.append((group_id, name))
    return found


def group_names(domain: IdentityDomain, user: User) -> tuple[str, ...]:
    """The user's group names now (what the `groups` claim and userinfo carry)."""
    return tuple(name for _, name in of_user(domain, user))


# ---------------------------------------------------------------------------------------------- resources


def to_scim(domain: IdentityDomain, group_id: str, values: dict[str, Any], record: dict[str, Any] | None) -> Resource:
    from mockidp.core.admin import users

    fixed = users._fixture_created(domain)
    version = record["rev"] if record else version_of(values)
    created = (record or {}).get("created") or fixed
    doc: Resource = {
        "schemas": [GROUP_SCHEMA, GROUP_EXTENSION],
        "id": group_id,
        "ocid": ids.stable_ocid("group", group_id),
        "meta": meta("Group", "Groups", group_id, created, (record or {}).get("modified") or created, version),
        "displayName": values["display_name"],
    }
    members = []
    for user_id in values["members"]:
        found = users.find(domain, user_id)
        if found is None:
            continue  # a member deleted since
        user = found[0]
        members.append(
            {
                "value": user_id,
                "type": "User",
                "display": user.display_name or user.name or user.user_name,
                "name": user.user_name,
                "ocid": user.ocid,
                "$ref": f"/admin/v1/Users/{user_id}",
            }
        )
    if members:
        doc["members"] = members
    by = (record or {}).get("by")
    if by:
        doc["idcsCreatedBy"] = by
        doc["idcsLastModifiedBy"] = (record or {}).get("modified_by") or by
    doc.update(users.common_ocids(domain))
    extension = {"description": values.get("description", ""), "creationMechanism": "api" if record else "import"}
    extension.update(values.get("extension") or {})
    doc[GROUP_EXTENSION] = {k: v for k, v in extension.items() if v != ""}
    doc.update(values.get("extras") or {})
    return doc


def list_groups(domain: IdentityDomain) -> list[Resource]:
    return [to_scim(domain, gid, values, record) for gid, (values, record) in _live(domain)[0].items()]


def get_group(domain: IdentityDomain, group_id: str) -> Resource | None:
    found = _live(domain)[0].get(group_id)
    return None if found is None else to_scim(domain, group_id, *found)


def by_display_name(domain: IdentityDomain, name: str) -> list[Resource]:
    wanted = name.lower()
    return [
        to_scim(domain, gid, values, record)
        for gid, (values, record) in _live(domain)[0].items()
        if values["display_name"].lower() == wanted
    ]


def _values_from(domain: IdentityDomain, body: Any, group_id: str | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The body must be a JSON object: a Group resource.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or GROUP_SCHEMA not in schemas:
        raise errors.invalid_syntax(f'A Group needs "schemas": ["{GROUP_SCHEMA}"] (plus any extension it uses).')
    extras: dict[str, Any] = {}
    description = ""
    extension: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() == GROUP_EXTENSION.lower():
            if not isinstance(value, dict):
                raise errors.invalid_syntax(f"{key} must be an object.")
            for name, item in value.items():
                attribute = IDCS_EXTENSION.attribute(name)
                if attribute is None:
                    raise errors.invalid_syntax(f"{name!r} is not an attribute of {GROUP_EXTENSION}.")
                if attribute.name == "visibleToEndUser":
                    if not isinstance(item, bool):
                        raise errors.invalid_value("visibleToEndUser must be true or false.")
                    extension["visibleToEndUser"] = item
            description = value.get("description") or ""
            if not isinstance(description, str):
                raise errors.invalid_value("description must be a string.")
            continue
        if key.startswith("urn:"):
            raise errors.invalid_syntax(f"{key} is not a schema extension of Group.")
        attribute = GROUP_TYPE.attribute(key)
        if attribute is None:
            raise errors.invalid_syntax(f"{key!r} is not an attribute of Group.")
        if attribute.name in ("externalId", "nonUniqueDisplayName", "tags"):
            extras[attribute.name] = value
    name = body.get("displayName")
    if name in (None, ""):
        raise errors.missing_required(["displayName"])
    if not isinstance(name, str) or not name.strip():
        raise errors.invalid_value("displayName must be a non-empty string.")
    for gid, (values, _) in _live(domain)[0].items():
        if values["display_name"].lower() == name.lower() and gid != group_id:
            raise errors.uniqueness(f"A group with displayName {values['display_name']} already exists (id {gid}).")
    raw_members = body.get("members") or []
    if not isinstance(raw_members, list):
        raise errors.invalid_value('members must be a list of {"value": <user id>, "type": "User"}.')
    if len(raw_members) > MAX_MEMBERS:
        raise errors.too_large(f"A group may have at most {MAX_MEMBERS} members in mockidp.")
    from mockidp.core.admin import users

    members: list[str] = []
    for index, member in enumerate(raw_members):
        if not isinstance(member, dict) or not isinstance(member.get("value"), str):
            raise errors.invalid_value(f'members[{index}] must be an object with "value": the id of a user.')
        kind = member.get("type", "User")
        if kind != "User":
            raise errors.invalid_value(f"members[{index}].type must be User (groups in groups are not supported).")
        if users.find(domain, member["value"]) is None:
            raise errors.ScimError(
                400,
                f"Group.members references a User with ID {member['value']} that does not exist.",
                "error.common.validation.invalidReferenceResource",  # [doc]
                "invalidValue",
            )
        if member["value"] not in members:
            members.append(member["value"])
    values = {"display_name": name, "description": description, "members": members, "extras": extras}
    if extension:
        values["extension"] = extension
    return values


def create_group(domain: IdentityDomain, body: Resource, caller: Caller) -> Resource:
    group_id = uuid.uuid4().hex
    values = _values_from(domain, body, None)
    if domain.store.count(GROUPS) >= MAX_GROUPS:
        raise errors.ScimError(
            400,
            f"This identity domain already holds {MAX_GROUPS} groups changed at run time; delete some or reset it.",
            "error.common.validation.quotaExceeded",  # [choice]
            "tooMany",
        )
    now = domain.clock.now()
    record = {"rev": uuid.uuid4().hex, "values": values, "created": now, "modified": now, "by": caller.reference()}
    domain.store.put(GROUPS, group_id, record)
    _bump(domain)
    return to_scim(domain, group_id, values, record)


def replace_group(domain: IdentityDomain, group_id: str, body: Resource, caller: Caller) -> Resource:
    found = _live(domain)[0].get(group_id)
    if found is None:
        raise errors.not_found("Group", group_id)
    _, old = found
    values = _values_from(domain, body, group_id)
    from mockidp.core.admin import users

    record = {
        "rev": uuid.uuid4().hex,
        "values": values,
        "created": (old or {}).get("created") or users._fixture_created(domain),
        "modified": domain.clock.now(),
        "by": (old or {}).get("by"),
        "modified_by": caller.reference(),
    }
    domain.store.put(GROUPS, group_id, record)
    _bump(domain)
    return to_scim(domain, group_id, values, record)


def delete_group(domain: IdentityDomain, group_id: str, caller: Caller) -> None:
    if group_id not in _live(domain)[0]:
        raise errors.not_found("Group", group_id)
    if group_id in _fixture_groups(domain):
        domain.store.put(GROUPS, group_id, {"rev": uuid.uuid4().hex, "removed": True})
    else:
        domain.store.delete(GROUPS, group_id)
    _bump(domain)


GROUP_TYPE = ResourceType(
    name="Group",
    endpoint="Groups",
    schema=CORE,
    extensions=(IDCS_EXTENSION,),
    operations=Operations(
        list=list_groups,
        get=get_group,
        create=create_group,
        replace=replace_group,
        delete=delete_group,
        index={"displayname": by_display_name, "id": lambda domain, gid: [g for g in [get_group(domain, gid)] if g]},
    ),
    read_scopes=READ,
    write_scopes=WRITE,
    description="Group",
)
