"""`/admin/v1/Me`: the signed-in user's own User resource (GET, PUT, PATCH), with only `urn:opc:idm:t.user.me`.

[choice] Through Me a user may change their profile but not what an administrator decides: `userName`,
`active` and the password are refused with `mutability` (the real service changes a password through
`MePasswordChanger`, which mockidp does not serve).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mockidp.core.admin import errors, users
from mockidp.core.admin.resource import Operations, ResourceType

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.admin.resource import Resource
    from mockidp.core.domain import IdentityDomain

ME_SCOPES = frozenset({"urn:opc:idm:t.user.me"})


def _as_me(resource: Resource) -> Resource:
    meta = {**resource["meta"], "resourceType": "Me", "location": "/admin/v1/Me"}
    return {**resource, "meta": meta}


def get_me(domain: IdentityDomain, user_id: str) -> Resource | None:
    found = users.get_user(domain, user_id)
    return None if found is None else _as_me(found)


def replace_me(domain: IdentityDomain, user_id: str, body: Resource, caller: Caller) -> Resource:
    current = users.get_user(domain, user_id)
    if current is None:
        raise errors.not_found("Me", user_id)
    if isinstance(body, dict):
        if "userName" in body and str(body["userName"]).lower() != current["userName"].lower():
            raise errors.mutability("userName cannot be changed through Me; an administrator changes it in Users.")
        if "active" in body and body["active"] != current["active"]:
            raise errors.mutability("active cannot be changed through Me; an administrator changes it in Users.")
        if body.get("password") is not None:
            raise errors.mutability("The password cannot be set through Me (the real service uses MePasswordChanger).")
    return _as_me(users.replace_user(domain, user_id, body, caller))


ME_TYPE = ResourceType(
    name="Me",
    endpoint="Me",
    schema=replace(users.CORE, description="The signed-in user"),
    extensions=users.USER_TYPE.extensions,
    operations=Operations(get=get_me, replace=replace_me),
    read_scopes=ME_SCOPES,
    write_scopes=ME_SCOPES,
    description="The signed-in user's own account",
    singleton=True,
)
