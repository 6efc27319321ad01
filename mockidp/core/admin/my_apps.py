"""`/admin/v1/MyApps`: the apps the calling user can use (the OCI SDK's `MyApp`: the user's account in an app,
with `app` and `owner` references), read-only, for a user caller only (a Bearer token of a user, or the user's
API-key signature); any user may read their own (`urn:opc:idm:t.user.me`).

[choice] Which apps: `apps.apps_for_user` decides (the active Apps granted to the user or their groups, and the
client Apps that sign users in — authorization_code, implicit, device code, password — that no Grant names). An
entry's id is stable per user and app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core import ids
from mockidp.core.admin import errors
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import (
    BOOLEAN,
    COMPLEX,
    READ_ONLY,
    REFERENCE,
    Attribute,
    Operations,
    Resource,
    ResourceType,
    Schema,
)

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User

SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:MyApp"
ME_SCOPES = frozenset({"urn:opc:idm:t.user.me"})


def _apps_for(domain: IdentityDomain, user: User) -> list[dict[str, Any]]:
    """The apps this user can use, as App resources (id, displayName, active): the Apps work's rule."""
    from mockidp.core.admin.apps import apps_for_user

    return apps_for_user(domain, user)


def list_mine(domain: IdentityDomain, caller: Caller) -> list[Resource]:
    if caller.kind != "user" or caller.user_name is None:
        raise errors.forbidden("MyApps lists the signed-in user's apps: call it with a user's token or API key.")
    user = domain.user(caller.user_name)
    if user is None:
        return []
    return [_my_app(user, app) for app in _apps_for(domain, user)]


def _my_app(user: User, app: dict[str, Any]) -> Resource:
    ident = ids.stable_guid("myapp", user.id, app["id"])
    return {
        "schemas": [SCHEMA],
        "id": ident,
        "name": user.user_name,
        "uid": user.user_name,
        "active": bool(app.get("active", True)),
        "isAccount": True,
        "favorite": False,
        "app": {
            "value": app["id"],
            "display": app.get("displayName") or app["id"],
            "$ref": f"/admin/v1/Apps/{app['id']}",
            "active": bool(app.get("active", True)),
            "isLoginTarget": True,
            "showInMyApps": True,
            "isOPCService": False,
        },
        "owner": {"value": user.id, "display": user.display_name or user.name or user.user_name},
        "meta": meta("MyApp", "MyApps", ident, 0.0, 0.0, version_of([ident, app])),
    }


def _reference(name: str, *subs: Attribute) -> Attribute:
    return Attribute(
        name,
        COMPLEX,
        mutability=READ_ONLY,
        sub_attributes=(
            Attribute("value", mutability=READ_ONLY, case_exact=True),
            Attribute("display", mutability=READ_ONLY),
            Attribute("$ref", REFERENCE, mutability=READ_ONLY),
            *subs,
        ),
    )


MY_APPS = ResourceType(
    name="MyApp",
    endpoint="MyApps",
    schema=Schema(
        SCHEMA,
        "MyApp",
        "The apps the signed-in user can use",
        (
            Attribute("name", mutability=READ_ONLY, returned="always"),
            Attribute("uid", mutability=READ_ONLY),
            Attribute("active", BOOLEAN, mutability=READ_ONLY),
            Attribute("isAccount", BOOLEAN, mutability=READ_ONLY),
            Attribute("favorite", BOOLEAN, mutability=READ_ONLY),
            _reference(
                "app",
                Attribute("active", BOOLEAN, mutability=READ_ONLY),
                Attribute("isLoginTarget", BOOLEAN, mutability=READ_ONLY),
                Attribute("showInMyApps", BOOLEAN, mutability=READ_ONLY),
                Attribute("isOPCService", BOOLEAN, mutability=READ_ONLY),
            ),
            _reference("owner"),
        ),
    ),
    extensions=(),
    operations=Operations(mine=list_mine),
    read_scopes=ME_SCOPES,
    write_scopes=frozenset(),
    description="The signed-in user's apps",
)
