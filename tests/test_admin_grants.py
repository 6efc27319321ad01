"""`/admin/v1/AppRoles` and `/admin/v1/Grants` on the raw SCIM surface, and what a Grant does to the next token
(`urn:opc:idm:*` scopes through `__myscopes__`, clientAppRoles/userAppRoles, appRoles in ID tokens and userinfo)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mockidp.core import ids
from mockidp.core.admin import apps
from mockidp.testing import MockIdP
from tests.admin_apps_support import (
    APP_ADMIN,
    GRANT_SCHEMA,
    MY_SCOPES,
    USER_ADMIN,
    Admin,
    admin_fixtures,
    assert_scim_error,
    client_token,
    new_app,
)
from tests.conftest import SECOND_USER, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER, TENANT
from tests.helpers import assert_error, password_tokens, verify

IDM_AUDIENCE = [f"https://{TENANT}.identity.oraclecloud.com", f"urn:opc:lbaas:logicalguid={TENANT}"]
INVALID_VALUE = "error.common.validation.invalidValue"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(admin_fixtures(tmp_path_factory.mktemp("grants"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def admin(idp: MockIdP) -> Admin:
    return Admin(idp)


def role_id(name: str) -> str:
    return ids.stable_guid("approle", TENANT, name)


def user_id(user_name: str) -> str:
    return ids.stable_guid("user", user_name)


def grant(grantee_type: str, grantee: str, role: str | None, mechanism: str | None = None) -> dict:
    body = {
        "schemas": [GRANT_SCHEMA],
        "grantMechanism": mechanism or f"ADMINISTRATOR_TO_{grantee_type.upper()}",
        "grantee": {"type": grantee_type, "value": grantee},
        "app": {"value": "IDCSAppId"},
    }
    if role is not None:
        body["entitlement"] = {"attributeName": "appRoles", "attributeValue": role_id(role)}
    return body


def claims_of(idp: MockIdP, token: str) -> dict:
    return verify(idp, token, None)


# ---------------------------------------------------------------------------------------------- AppRoles


def test_app_roles_are_the_domains_roles(admin: Admin) -> None:
    roles = {role["displayName"]: role for role in admin.resources("AppRoles")}
    assert {
        "Identity Domain Administrator",
        "User Administrator",
        "Application Administrator",
        "Security Administrator",
        "Authenticated Client",
        "Authenticated",
    } <= set(roles)
    domain_admin = roles["Identity Domain Administrator"]
    assert domain_admin["id"] == role_id("Identity Domain Administrator")
    assert domain_admin["adminRole"] is True
    assert domain_admin["app"]["value"] == "IDCSAppId"
    assert domain_admin["app"]["$ref"] == admin.base + "Apps/IDCSAppId"
    assert "urn:opc:idm:t.app" in domain_admin["description"]
    assert roles["Authenticated Client"]["adminRole"] is False
    assert roles["Authenticated Client"]["availableToUsers"] is False
    # A role fixtures name but the domain does not define is listed too (bob holds "Orders Approver").
    assert roles["Orders Approver"]["adminRole"] is False
    assert admin.ok(admin.get(f"AppRoles/{domain_admin['id']}")) == domain_admin
    filtered = admin.resources("AppRoles", filter='displayName eq "User Administrator"')
    assert [role["id"] for role in filtered] == [role_id("User Administrator")]


def test_an_app_roles_id_is_the_one_userinfo_shows(idp: MockIdP, admin: Admin) -> None:
    token = password_tokens(idp, "openid approles", user=SECOND_USER)["access_token"]
    info = requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    shown = {role["displayName"]: role["id"] for role in info["appRoles"]}
    assert shown["User Administrator"] == admin.ok(admin.get(f"AppRoles/{role_id('User Administrator')}"))["id"]


def test_app_roles_are_read_only(admin: Admin) -> None:
    assert_scim_error(
        admin.get("AppRoles/0123456789abcdef0123456789abcdef"),
        404,
        "error.common.common.resourceNotFound",
        "Resource 0123456789abcdef0123456789abcdef of type AppRole not found.",
    )
    response = admin.post("AppRoles", {"schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:AppRole"]})
    assert_scim_error(response, 405, "error.common.common.methodNotAllowed")
    assert response.headers["Allow"] == "GET"


# ---------------------------------------------------------------------------------------------- Grants: fixtures


def test_fixture_app_roles_are_grants(admin: Admin) -> None:
    listed = admin.resources("Grants")
    seed_app = admin.resources("Apps", filter=f'name eq "{SEED_CLIENT_ID}"')[0]
    by_grantee = {(g["grantee"]["value"], g["entitlement"]["attributeValue"]): g for g in listed}
    seed = by_grantee[(seed_app["id"], role_id("Authenticated Client"))]
    assert seed["grantMechanism"] == "ADMINISTRATOR_TO_APP"
    assert seed["grantee"] == {"type": "App", "value": seed_app["id"], "display": "Seed confidential app"}
    assert seed["app"] == {"value": "IDCSAppId", "display": "Identity Domain"}
    assert seed["entitlement"] == {"attributeName": "appRoles", "attributeValue": role_id("Authenticated Client")}
    bob = by_grantee[(user_id(SECOND_USER), role_id("User Administrator"))]
    assert bob["grantMechanism"] == "ADMINISTRATOR_TO_USER"
    assert bob["grantee"]["display"] == "Bob B."
    assert admin.ok(admin.get(f"Grants/{bob['id']}")) == bob
    mine = admin.resources("Grants", filter=f'grantee.value eq "{user_id(SECOND_USER)}"')
    assert {g["entitlement"]["attributeValue"] for g in mine} == {
        role_id("User Administrator"),
        role_id("Orders Approver"),
    }


def test_deleting_a_fixture_grant_takes_the_role_back(idp: MockIdP, admin: Admin) -> None:
    seed_app = admin.resources("Apps", filter=f'name eq "{SEED_CLIENT_ID}"')[0]
    seed_auth = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)
    token = claims_of(idp, client_token(idp, seed_auth))
    assert token["scope"] == "urn:opc:idm:t.security.client"
    assert token["clientAppRoles"] == ["Authenticated Client"]
    [fixture_grant] = admin.resources("Grants", filter=f'grantee.value eq "{seed_app["id"]}"')
    assert admin.delete(f"Grants/{fixture_grant['id']}").status_code == 204
    assert admin.get(f"Grants/{fixture_grant['id']}").status_code == 404
    answer = requests.post(
        idp.token_url, data={"grant_type": "client_credentials", "scope": MY_SCOPES}, auth=seed_auth, timeout=10
    )
    assert_error(answer, 400, "invalid_scope")
    assert admin.ok(admin.get(f"Apps/{seed_app['id']}"))["grantedAppRoles"] == []
    # Granted again: the same grant (same id) is in force again.
    again = admin.ok(admin.post("Grants", grant("App", seed_app["id"], "Authenticated Client")), 201)
    assert again["id"] == fixture_grant["id"]
    assert claims_of(idp, client_token(idp, seed_auth))["clientAppRoles"] == ["Authenticated Client"]


# ---------------------------------------------------------------------------------------------- Grants: effects


def test_a_grant_to_an_app_changes_its_next_token_and_what_it_may_do(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app(allowedScopes=[])), 201)
    auth = (created["name"], created["clientSecret"])
    answer = requests.post(
        idp.token_url, data={"grant_type": "client_credentials", "scope": MY_SCOPES}, auth=auth, timeout=10
    )
    assert_error(answer, 400, "invalid_scope")  # no role yet: no identity-domain scope to give

    etag = admin.get(f"Apps/{created['id']}").headers["ETag"]
    made = admin.ok(admin.post("Grants", grant("App", created["id"], "User Administrator")), 201)
    assert made["grantee"] == {"type": "App", "value": created["id"], "display": "Billing service"}
    assert admin.get(f"Apps/{created['id']}").headers["ETag"] != etag  # grantedAppRoles changed
    assert made["meta"]["location"] == f"{admin.base}Grants/{made['id']}"
    token = client_token(idp, auth)
    claims = claims_of(idp, token)
    assert set(claims["scope"].split()) == {"urn:opc:idm:t.user.manager", "urn:opc:idm:t.users", "urn:opc:idm:t.groups"}
    assert claims["clientAppRoles"] == ["User Administrator"]
    assert claims["aud"] == IDM_AUDIENCE
    roles = admin.ok(admin.get(f"Apps/{created['id']}"))["grantedAppRoles"]
    assert [(r["display"], r["value"], r["adminRole"]) for r in roles] == [
        ("User Administrator", role_id("User Administrator"), True)
    ]
    # The token now reads Users on the admin API itself.
    users = requests.get(idp.url + "/admin/v1/Users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert users.status_code == 200, users.text

    assert admin.delete(f"Grants/{made['id']}").status_code == 204
    answer = requests.post(
        idp.token_url, data={"grant_type": "client_credentials", "scope": MY_SCOPES}, auth=auth, timeout=10
    )
    assert_error(answer, 400, "invalid_scope")


def test_a_grant_to_a_user_changes_user_tokens_and_userinfo(idp: MockIdP, admin: Admin) -> None:
    before = password_tokens(idp, f"openid approles get_approles {MY_SCOPES}")
    assert claims_of(idp, before["access_token"])["userAppRoles"] == ["Authenticated"]
    made = admin.ok(admin.post("Grants", grant("User", user_id(SEED_USER), "Security Administrator")), 201)
    assert made["grantee"]["display"] == "alice alice"

    after = password_tokens(idp, f"openid approles get_approles {MY_SCOPES}")
    access = claims_of(idp, after["access_token"])
    assert access["userAppRoles"] == ["Authenticated", "Security Administrator"]
    assert {"urn:opc:idm:t.security", "urn:opc:idm:t.settings"} <= set(access["scope"].split())
    id_token = verify(idp, after["id_token"], [idp.issuer, SEED_CLIENT_ID])
    assert id_token["appRoles"] == [{"id": role_id("Security Administrator"), "name": "Security Administrator"}]
    info = requests.get(
        idp.userinfo_url, headers={"Authorization": f"Bearer {after['access_token']}"}, timeout=10
    ).json()
    assert info["appRoles"] == [{"id": role_id("Security Administrator"), "displayName": "Security Administrator"}]

    assert admin.delete(f"Grants/{made['id']}").status_code == 204
    again = password_tokens(idp, f"openid {MY_SCOPES}")
    assert claims_of(idp, again["access_token"])["userAppRoles"] == ["Authenticated"]


def test_a_grant_to_a_group_reaches_its_members(idp: MockIdP, admin: Admin) -> None:
    developers = ids.stable_guid("group", TENANT, "Developers")  # bob is a member; the seed user is not
    made = admin.ok(admin.post("Grants", grant("Group", developers, "Audit Administrator")), 201)
    assert made["grantMechanism"] == "ADMINISTRATOR_TO_GROUP"
    assert made["grantee"] == {"type": "Group", "value": developers, "display": "Developers"}
    bob = password_tokens(idp, MY_SCOPES, user=SECOND_USER)
    assert "Audit Administrator" in claims_of(idp, bob["access_token"])["userAppRoles"]
    assert "urn:opc:idm:t.audit" in claims_of(idp, bob["access_token"])["scope"].split()
    alice = password_tokens(idp, f"openid {MY_SCOPES}")
    assert "Audit Administrator" not in claims_of(idp, alice["access_token"])["userAppRoles"]


def test_a_grant_of_an_app_makes_it_the_granted_users_in_my_apps(idp: MockIdP, admin: Admin) -> None:
    domain = idp.domain

    def my_apps(user_name: str) -> list[str]:
        return [app["displayName"] for app in apps.apps_for_user(domain, domain.user(user_name))]

    # Nobody was granted an app: every active app that signs users in is everyone's.
    assert my_apps(SEED_USER) == my_apps(SECOND_USER) == ["Seed confidential app", "Public SPA", "Living-room TV"]
    spa = admin.resources("Apps", filter='displayName eq "Public SPA"')[0]
    body = {
        "schemas": [GRANT_SCHEMA],
        "grantMechanism": "ADMINISTRATOR_TO_USER",
        "grantee": {"type": "User", "value": user_id(SEED_USER)},
        "app": {"value": spa["id"]},
    }
    made = admin.ok(admin.post("Grants", body), 201)
    assert "entitlement" not in made
    assert my_apps(SEED_USER) == ["Seed confidential app", "Public SPA", "Living-room TV"]
    assert my_apps(SECOND_USER) == ["Seed confidential app", "Living-room TV"]  # now the seed user's only
    # A client-credentials-only App is no one's, unless granted.
    service = admin.ok(admin.post("Apps", new_app(allowedGrants=["client_credentials"])), 201)
    assert "Billing service" not in my_apps(SEED_USER)
    admin.ok(admin.post("Grants", {**body, "app": {"value": service["id"]}}), 201)
    assert "Billing service" in my_apps(SEED_USER)
    admin.ok(admin.patch(f"Apps/{service['id']}", {"op": "replace", "path": "active", "value": False}))
    assert "Billing service" not in my_apps(SEED_USER)


def test_grants_to_a_deleted_user_go_with_the_user(idp: MockIdP, admin: Admin) -> None:
    made = admin.ok(admin.post("Grants", grant("User", user_id(SECOND_USER), "Security Administrator")), 201)
    assert admin.delete(f"Users/{user_id(SECOND_USER)}").status_code == 204
    assert admin.get(f"Grants/{made['id']}").status_code == 404
    assert all(g["grantee"]["value"] != user_id(SECOND_USER) for g in admin.resources("Grants"))


def test_grants_to_a_deleted_app_go_with_it(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app()), 201)
    made = admin.ok(admin.post("Grants", grant("App", created["id"], "User Administrator")), 201)
    assert admin.delete(f"Apps/{created['id']}").status_code == 204
    assert admin.get(f"Grants/{made['id']}").status_code == 404


# ---------------------------------------------------------------------------------------------- Grants: errors


@pytest.mark.parametrize(
    ("body", "message_id", "detail"),
    [
        (
            {"schemas": [GRANT_SCHEMA]},
            "error.common.validation.missingReqAttributes",
            "Missing required attribute(s): grantee,grantMechanism.",
        ),
        (
            {**grant("User", user_id(SEED_USER), "User Administrator"), "schemas": ["urn:x"]},
            "error.common.common.invalidSyntax",
            f'A Grant needs "schemas": ["{GRANT_SCHEMA}"].',
        ),
        (
            {**grant("User", user_id(SEED_USER), "User Administrator"), "grantor": {"value": "x"}},
            "error.common.common.invalidSyntax",
            "'grantor' is not a Grant attribute mockidp supports; a Grant is grantee, app, entitlement and "
            "grantMechanism.",
        ),
        (
            grant("Robot", "x", "User Administrator", "ADMINISTRATOR_TO_USER"),
            INVALID_VALUE,
            "grantee.type must be one of User, Group, App, got 'Robot'.",
        ),
        (
            grant("User", "0" * 32, "User Administrator"),
            INVALID_VALUE,
            f"grantee.value {'0' * 32!r} is not the id of a user of this identity domain.",
        ),
        (
            grant("Group", "0" * 32, "User Administrator"),
            INVALID_VALUE,
            f"grantee.value {'0' * 32!r} is not the id of a group of this identity domain.",
        ),
        (
            grant("App", "0" * 32, "User Administrator"),
            INVALID_VALUE,
            f"grantee.value {'0' * 32!r} is not the id of an App that is an OAuth client.",
        ),
        (
            grant("User", user_id(SEED_USER), "User Administrator", "ADMINISTRATOR_TO_APP"),
            INVALID_VALUE,
            "grantMechanism 'ADMINISTRATOR_TO_APP' does not fit a grantee of type User; use 'ADMINISTRATOR_TO_USER' "
            "(the only mechanism mockidp supports for it).",
        ),
        (
            {
                **grant("User", user_id(SEED_USER), None),
                "entitlement": {"attributeName": "appRoles", "attributeValue": "nope"},
            },
            INVALID_VALUE,
            "entitlement.attributeValue 'nope' is not the id of an AppRole (see /admin/v1/AppRoles).",
        ),
        (
            {
                **grant("User", user_id(SEED_USER), None),
                "entitlement": {"attributeName": "groups", "attributeValue": "x"},
            },
            INVALID_VALUE,
            "entitlement.attributeName 'groups' is not supported; mockidp grants app roles only (\"appRoles\").",
        ),
        (
            grant("User", user_id(SEED_USER), "Authenticated Client"),
            INVALID_VALUE,
            "AppRole 'Authenticated Client' is for apps (clients), not for users or groups.",
        ),
        (
            grant("User", user_id(SEED_USER), "Authenticated"),
            INVALID_VALUE,
            "Every user holds 'Authenticated' already; it cannot be granted.",
        ),
        (
            {**grant("User", user_id(SEED_USER), None), "app": {"value": "0" * 32}},
            INVALID_VALUE,
            f"app.value {'0' * 32!r} is not the id of an App of this identity domain.",
        ),
    ],
)
def test_every_bad_grant_is_a_scim_400(admin: Admin, body: dict, message_id: str, detail: str) -> None:
    assert_scim_error(admin.post("Grants", body), 400, message_id, detail)


def test_a_grant_held_already_is_a_409(admin: Admin) -> None:
    assert_scim_error(
        admin.post("Grants", grant("User", user_id(SECOND_USER), "User Administrator")),
        409,
        "error.common.validation.uniqueness",
        f"The User {user_id(SECOND_USER)} already has a grant of app role 'User Administrator'.",
        "uniqueness",
    )


def test_grants_cannot_be_replaced_and_unknown_ones_are_404(admin: Admin) -> None:
    [some] = admin.resources("Grants", filter=f'grantee.value eq "{user_id(SECOND_USER)}"', count="1")
    response = admin.put(f"Grants/{some['id']}", some)
    assert_scim_error(response, 405, "error.common.common.methodNotAllowed")
    assert_scim_error(
        admin.delete("Grants/" + "f" * 32),
        404,
        "error.common.common.resourceNotFound",
        f"Resource {'f' * 32} of type Grant not found.",
    )


def test_who_may_grant(idp: MockIdP) -> None:
    user_admin = Admin(idp, USER_ADMIN)
    assert user_admin.ok(user_admin.get("Grants"))["totalResults"] >= 3  # User Administrators may read grants
    body = assert_scim_error(
        user_admin.post("Grants", grant("User", user_id(SEED_USER), "Security Administrator")),
        403,
        "error.common.exception.insufficientScope",
    )
    assert "urn:opc:idm:t.app" in body["detail"]
    app_admin = Admin(idp, APP_ADMIN)
    assert app_admin.post("Grants", grant("User", user_id(SEED_USER), "Security Administrator")).status_code == 201
