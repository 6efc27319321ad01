"""What admin-API changes do to the rest of the domain, seen through the OAuth endpoints with real clients
(requests, Authlib) and the control plane: sign-in of created users, deactivation, passwords, group claims,
reset, the journal, faults; and the fixture keys that seed the API (`id`, `ocid`, `active`, `[[groups]]`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from mockidp.core.fixtures import check_fixtures
from mockidp.testing import MockIdP
from tests.admin_support import (
    ADMIN_CLIENT,
    ADMIN_SECRET,
    ALICE,
    ALICE_ID,
    APP_CLIENT,
    APP_SECRET,
    CALLBACK,
    DAVE,
    ERIN,
    GROUP_SCHEMA,
    USER_EXTENSION,
    Admin,
    client_token,
    new_user,
    scim_error,
    user_tokens,
    write_admin_fixtures,
)
from tests.flows import follow, password_form, sign_in

DEACTIVATED = "This user account is deactivated. Ask an administrator of the identity domain to activate it."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_admin_fixtures(tmp_path_factory.mktemp("effects"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    yield server
    server.reset()


@pytest.fixture
def admin(idp: MockIdP) -> Admin:
    return Admin(idp, client_token(idp))


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def user_id(admin: Admin, user_name: str) -> str:
    found = admin.get("Users", params={"filter": f'userName eq "{user_name}"'}).json()["Resources"]
    assert len(found) == 1, found
    return found[0]["id"]


def code_flow(idp: MockIdP, user: str, password: str) -> requests.Response:
    """Authorization code flow with Authlib's client, signing in on the page as a script does."""
    oauth = OAuth2Session(ADMIN_CLIENT, ADMIN_SECRET, scope="openid groups", redirect_uri=CALLBACK)
    url, _ = oauth.create_authorization_url(f"{idp.url}/oauth2/v1/authorize")
    browser = requests.Session()
    page = follow(browser, browser.get(url, allow_redirects=False))
    password_form(page.text)
    return sign_in(browser, page, user, password), oauth


def finish(idp: MockIdP, oauth: OAuth2Session, signed_in: requests.Response) -> dict:
    assert signed_in.status_code == 302, signed_in.text[:300]
    location = signed_in.headers["location"]
    assert dict(parse_qsl(urlsplit(location).query)).get("code"), location
    return oauth.fetch_token(f"{idp.url}/oauth2/v1/token", authorization_response=location)


def test_a_created_user_signs_in_with_the_password_grant_and_the_sign_in_page(idp, admin):
    created = admin.post("Users", new_user("new@example.com", password="New-pass-1")).json()
    tokens = user_tokens(idp, "new@example.com", "New-pass-1", scope="openid").json()
    claims = claims_of(tokens["access_token"])
    assert claims["sub"] == "new@example.com" and claims["user_id"] == created["id"]
    signed_in, oauth = code_flow(idp, "new@example.com", "New-pass-1")
    token = finish(idp, oauth, signed_in)
    assert claims_of(token["id_token"])["sub"] == "new@example.com"


def test_fixture_ids_are_the_tokens_user_id(idp):
    claims = claims_of(user_tokens(idp, ALICE, scope="openid").json()["access_token"])
    assert claims["user_id"] == ALICE_ID


def test_deactivation_refuses_sign_in_and_every_grant(idp, admin):
    dave = user_id(admin, DAVE)
    refresh = user_tokens(idp, DAVE, scope="openid offline_access").json()["refresh_token"]
    assert admin.patch(f"Users/{dave}", {"op": "replace", "path": "active", "value": False}).status_code == 200

    refused = user_tokens(idp, DAVE, scope="openid")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": DEACTIVATED,
        "ecid": refused.json()["ecid"],
    }
    wrong = user_tokens(idp, DAVE, password="not-it", scope="openid")  # a wrong password says nothing more
    assert wrong.json()["error_description"] == "The user name or password is incorrect."

    again = requests.post(
        idp.token_url,
        auth=(APP_CLIENT, APP_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error_description"] == DEACTIVATED

    page_answer, _ = code_flow(idp, DAVE, "Welcome1!")
    assert page_answer.status_code == 401 and DEACTIVATED in page_answer.text

    assert admin.patch(f"Users/{dave}", {"op": "replace", "path": "active", "value": True}).status_code == 200
    assert user_tokens(idp, DAVE, scope="openid").status_code == 200


def test_a_fixture_user_with_active_false_cannot_sign_in(idp):
    assert user_tokens(idp, ERIN, scope="openid").json()["error_description"] == DEACTIVATED


def test_a_deactivated_users_token_no_longer_calls_the_admin_api(idp, admin):
    token = user_tokens(idp, ALICE).json()["access_token"]
    assert Admin(idp, token).get("Users").status_code == 200
    admin.patch(f"Users/{ALICE_ID}", {"op": "replace", "path": "active", "value": False})
    scim_error(Admin(idp, token).get("Users"), 401, "error.common.exception.unauthorizedAccess")


def test_a_password_set_over_the_api_works(idp, admin):
    dave = user_id(admin, DAVE)
    assert (
        admin.patch(f"Users/{dave}", {"op": "replace", "path": "password", "value": "Brand-new-2"}).status_code == 200
    )
    assert user_tokens(idp, DAVE, "Brand-new-2", scope="openid").status_code == 200
    assert user_tokens(idp, DAVE, "Welcome1!", scope="openid").json()["error"] == "invalid_grant"
    body = new_user(DAVE, family="Doe")  # a PUT without a password keeps it
    assert admin.put(f"Users/{dave}", body).status_code == 200
    assert user_tokens(idp, DAVE, "Brand-new-2", scope="openid").status_code == 200


def test_group_membership_shows_in_userinfo_and_the_id_token(idp, admin):
    group = admin.post(
        "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Release managers", "members": [{"value": ALICE_ID}]}
    ).json()
    token = user_tokens(idp, ALICE, scope="openid groups get_groups").json()
    info = requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    groups = {g["displayName"]: g["id"] for g in info.json()["groups"]}
    assert groups["Release managers"] == group["id"]
    auditors = admin.get("Groups", params={"filter": 'displayName eq "Auditors"'}).json()["Resources"][0]
    assert groups == {"Auditors": auditors["id"], "Release managers": group["id"]}
    assert {g["name"] for g in claims_of(token["id_token"])["groups"]} == {"Auditors", "Release managers"}

    admin.patch(f"Groups/{auditors['id']}", {"op": "remove", "path": f'members[value eq "{ALICE_ID}"]'})
    admin.delete(f"Groups/{group['id']}")
    token = user_tokens(idp, ALICE, scope="openid groups").json()
    info = requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert info.json()["groups"] == []


def test_fixture_groups_keep_the_ids_the_groups_claim_always_had(idp, admin):
    token = user_tokens(idp, DAVE, scope="openid groups").json()["access_token"]
    info = requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    listed = admin.get("Groups").json()["Resources"]
    assert sorted((g["displayName"], g["id"]) for g in info["groups"]) == sorted(
        (g["displayName"], g["id"]) for g in listed
    )


def test_reset_undoes_admin_changes(idp, admin):
    admin.post("Users", new_user("temp@example.com", password="Temp-pass-1"))
    admin.delete(f"Users/{ALICE_ID}")
    admin.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Temp"})
    idp.reset()
    fresh = Admin(idp, client_token(idp))
    users = [u["userName"] for u in fresh.get("Users").json()["Resources"]]
    assert sorted(users) == [ALICE, DAVE, ERIN]
    assert [g["displayName"] for g in fresh.get("Groups", params={"sortBy": "displayName"}).json()["Resources"]] == [
        "Auditors",
        "Developers",
    ]
    assert user_tokens(idp, "temp@example.com", "Temp-pass-1", scope="openid").status_code == 400


def test_the_journal_and_the_control_plane_see_admin_changes(idp, admin):
    idp.clear_requests()
    created = admin.post("Users", new_user("jo@example.com", password="Jo-secret-1")).json()
    entry = idp.requests(endpoint="admin")[-1]
    assert (entry.method, entry.path, entry.status, entry.client_id) == ("POST", "/admin/v1/Users", 201, ADMIN_CLIENT)
    assert entry.body["userName"] == "jo@example.com" and entry.body["password"] == "[redacted]"
    assert "Jo-secret-1" not in str(idp.control.call("GET", "/requests"))
    listed = {u["user_name"]: u for u in idp.control.call("GET", "/users")["users"]}
    assert listed["jo@example.com"]["id"] == created["id"] and listed["jo@example.com"]["source"] == "runtime"
    assert listed[ERIN]["active"] is False


def test_faults_reach_the_admin_api_in_the_scim_shape(idp, admin):
    with idp.fault("admin", error="temporarily_unavailable", status=503):
        response = admin.get("Users")
    scim_error(response, 503, "error.common.temporarily_unavailable")
    assert admin.get("Users").status_code == 200


def test_control_plane_users_are_admin_api_users(idp, admin):
    idp.add_user("cp@example.com", password="Cp-pass-1", family_name="Plane", email="cp@example.com")
    found = admin.get("Users", params={"filter": 'userName eq "cp@example.com"'}).json()["Resources"][0]
    assert admin.get(f"Users/{found['id']}").json()["userName"] == "cp@example.com"
    admin.patch(f"Users/{found['id']}", {"op": "replace", "path": "active", "value": False})
    assert user_tokens(idp, "cp@example.com", "Cp-pass-1", scope="openid").json()["error_description"] == DEACTIVATED


# ---------------------------------------------------------------------------------------------- fixture keys


def test_fixture_problems_of_the_new_keys(write_fixtures):
    directory = write_fixtures(
        **{
            "a.toml": """
                [[users]]
                user_name = "a@example.com"
                id = "NOT-HEX"
                ocid = "user-1"
                active = "yes"

                [[users]]
                user_name = "b@example.com"
                id = "0123456789abcdef0123456789abcdef"

                [[users]]
                user_name = "c@example.com"
                id = "0123456789abcdef0123456789abcdef"

                [[groups]]
                display_name = "G"
                members = ["nobody@example.com"]

                [[groups]]
                display_name = "G"

                [[groups]]
                display_name = "H"
                colour = "red"
            """
        }
    )
    problems = [str(p) for p in check_fixtures(directory)]
    assert "a.toml: users[0].id: must be 32 lowercase hexadecimal digits" in " ".join(problems)
    assert any(p.startswith("a.toml: users[0].ocid: must be an OCID") for p in problems), problems
    assert "a.toml: users[0].active: must be a boolean, got a string ('yes')" in problems
    assert any(p.startswith("a.toml: users[2].id: duplicate id '0123456789abcdef0123456789abcdef'") for p in problems)
    assert "a.toml: groups[0].members[0]: no user with user_name 'nobody@example.com'" in problems
    assert any(p.startswith("a.toml: groups[2].colour: unknown key") for p in problems), problems
    assert any(p.startswith("a.toml: groups[1].display_name: duplicate display_name 'G'") for p in problems)
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "check", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "a.toml: groups[0].members[0]: no user with user_name 'nobody@example.com'" in result.stdout + result.stderr


def test_a_grant_shows_in_the_users_app_roles(idp, admin):
    from mockidp.core import ids

    tenant = idp.domain.tenant
    dave = user_id(admin, DAVE)
    assert "appRoles" not in admin.get(f"Users/{dave}").json()[USER_EXTENSION]  # warm the cached list
    admin.get("Users")
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:Grant"],
        "grantMechanism": "ADMINISTRATOR_TO_USER",
        "grantee": {"type": "User", "value": dave},
        "app": {"value": "IDCSAppId"},
        "entitlement": {
            "attributeName": "appRoles",
            "attributeValue": ids.stable_guid("approle", tenant, "User Manager"),
        },
    }
    made = admin.post("Grants", body)
    assert made.status_code == 201, made.text
    shown = admin.get(f"Users/{dave}").json()[USER_EXTENSION]["appRoles"]
    assert [role["display"] for role in shown] == ["User Manager"]
    listed = admin.get("Users", params={"filter": f'userName eq "{DAVE}"'}).json()["Resources"][0]
    assert [role["display"] for role in listed[USER_EXTENSION]["appRoles"]] == ["User Manager"]
    assert admin.delete(f"Grants/{made.json()['id']}").status_code == 204
    assert "appRoles" not in admin.get(f"Users/{dave}").json()[USER_EXTENSION]
