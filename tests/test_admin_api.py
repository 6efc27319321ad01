"""The SCIM surface of /admin/v1 driven with requests: authentication and scopes, every error's exact status and
body, filters, sorting, paging (startIndex/count and the OCI SDK's page/limit), attributes, PATCH, .search, meta
and ETags, discovery documents, Users, Groups and Me."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mockidp.core.admin import RESOURCE_TYPES
from mockidp.testing import MockIdP
from tests.admin_support import (
    ALICE,
    ALICE_ID,
    ALICE_OCID,
    APP_CLIENT,
    APP_SECRET,
    DAVE,
    ERIN,
    GROUP_EXTENSION,
    GROUP_SCHEMA,
    SCIM,
    USER_EXTENSION,
    USER_SCHEMA,
    Admin,
    client_token,
    new_user,
    scim_error,
    user_token,
    write_admin_fixtures,
)

UNAUTHORIZED = "error.common.exception.unauthorizedAccess"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_admin_fixtures(tmp_path_factory.mktemp("admin"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    yield server
    server.reset()


@pytest.fixture
def admin(idp: MockIdP) -> Admin:
    return Admin(idp, client_token(idp))


def names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["userName"] for r in response.json()["Resources"]]


# ---------------------------------------------------------------------------------------------- who may call


def test_no_credentials_is_the_scim_401(idp):
    detail = scim_error(Admin(idp, None).get("Users"), 401, UNAUTHORIZED)
    assert detail.startswith("Operation failed due to unauthorized access.")
    assert "Bearer" in detail


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic YWJjOmRlZg==", 'Signature keyId="ocid1.tenancy.oc1..x/ocid1.user.oc1..y/aa:bb"'],
)
def test_bad_credentials_are_the_scim_401(idp, authorization):
    response = requests.get(f"{idp.url}/admin/v1/Users", headers={"Authorization": authorization}, timeout=10)
    scim_error(response, 401, UNAUTHORIZED)


def test_an_expired_token_is_refused(idp):
    token = client_token(idp)
    idp.clock.advance(3601)
    detail = scim_error(Admin(idp, token).get("Users"), 401, UNAUTHORIZED)
    assert "expired" in detail


def test_a_token_without_admin_scopes_is_the_scim_403(idp):
    plain = Admin(idp, client_token(idp, APP_CLIENT, APP_SECRET))
    detail = scim_error(plain.get("Users"), 403, "error.common.exception.insufficientScope")
    assert "urn:opc:idm:t.users" in detail
    scim_error(plain.post("Users", new_user("x@example.com")), 403, "error.common.exception.insufficientScope")


def test_a_user_administrator_manages_users_and_groups(idp):
    alice = Admin(idp, user_token(idp, ALICE))
    assert ALICE in names(alice.get("Users"))
    assert alice.post("Users", new_user("zed@example.com")).status_code == 201
    assert alice.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Zeds"}).status_code == 201


def test_a_plain_user_reads_only_themselves_through_me(idp):
    dave = Admin(idp, user_token(idp, DAVE, scope="urn:opc:idm:t.user.me"))
    scim_error(dave.get("Users"), 403, "error.common.exception.insufficientScope")
    me = dave.get("Me")
    assert me.status_code == 200, me.text
    assert me.json()["userName"] == DAVE
    assert me.json()["meta"]["resourceType"] == "Me"
    assert me.json()["meta"]["location"] == f"{idp.url}/admin/v1/Me"


def test_me_needs_a_user_token(idp, admin):
    scim_error(admin.get("Me"), 403, "error.common.exception.insufficientScope")


def test_jwks_still_answers_as_before(idp):
    response = requests.get(f"{idp.url}/admin/v1/SigningCert/jwk", timeout=10)
    assert response.status_code == 200
    assert set(response.json()) == {"keys"}


# ---------------------------------------------------------------------------------------------- reading


def test_list_response_shape(idp, admin):
    response = admin.get("Users")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SCIM)
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 3 and body["startIndex"] == 1 and body["itemsPerPage"] == 3
    assert sorted(r["userName"] for r in body["Resources"]) == [ALICE, DAVE, ERIN]
    assert "opc-next-page" not in response.headers


def test_a_fixture_user_as_a_scim_resource(idp, admin):
    response = admin.get(f"Users/{ALICE_ID}")
    assert response.status_code == 200
    user = response.json()
    assert user["schemas"] == [USER_SCHEMA, USER_EXTENSION]
    assert user["id"] == ALICE_ID and user["ocid"] == ALICE_OCID
    assert user["userName"] == ALICE and user["active"] is True
    assert user["name"] == {"formatted": "Alice Admin", "givenName": "Alice", "familyName": "Admin"}
    assert user["emails"][0] == {"value": ALICE, "type": "work", "primary": True, "secondary": False, "verified": False}
    assert [g["display"] for g in user["groups"]] == ["Auditors"]
    assert user[USER_EXTENSION]["appRoles"][0]["display"] == "User Administrator"
    meta = user["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"] == f"{idp.url}/admin/v1/Users/{ALICE_ID}"
    assert response.headers["ETag"] == f'W/"{meta["version"]}"'
    assert "password" not in user


def test_unknown_id_is_404(admin):
    detail = scim_error(
        admin.get("Users/ffffffffffffffffffffffffffffffff"), 404, "error.common.common.resourceNotFound"
    )
    assert detail == "Resource ffffffffffffffffffffffffffffffff of type User not found."


def test_unknown_resource_type_is_404(admin):
    detail = scim_error(admin.get("Gadgets"), 404, "error.common.common.resourceTypeNotFound")
    assert "Users" in detail


def test_method_not_allowed_is_405_in_the_scim_shape(admin):
    response = admin("PUT", "Users", json={})
    scim_error(response, 405, "error.common.common.methodNotAllowed")
    assert response.headers["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (f'userName eq "{ALICE}"', [ALICE]),
        ('USERNAME eq "ALICE@EXAMPLE.COM"', [ALICE]),  # attribute names and (caseExact false) values ignore case
        (f'userName ne "{ALICE}"', [DAVE, ERIN]),
        ('userName co "av"', [DAVE]),
        ('userName sw "er"', [ERIN]),
        ('emails.value ew "corp.example.org"', [ERIN]),
        ('emails co "corp"', [ERIN]),  # a complex attribute compares its value
        ('name.familyName eq "doe"', [DAVE]),
        ("active eq false", [ERIN]),
        ("not (active eq false)", [ALICE, DAVE]),
        ('userName gt "b" and userName lt "e"', [DAVE]),
        ('userName ge "dave@example.com" and userName le "dave@example.com"', [DAVE]),
        ('(userName sw "a" or userName sw "d") and not (name.givenName eq "Alice")', [DAVE]),
        ('emails[type eq "work" and value co "corp"]', [ERIN]),
        ("groups pr", [ALICE, DAVE]),
        ('groups.display eq "Developers"', [DAVE]),
        (f"{USER_EXTENSION}:isFederatedUser eq false", [ALICE, DAVE, ERIN]),
        (f'{USER_SCHEMA}:userName eq "{DAVE}"', [DAVE]),
        (f'id eq "{ALICE_ID}"', [ALICE]),
        (f'id eq "{ALICE_ID.upper()}"', []),  # id is caseExact
        ('meta.created gt "2000-01-01T00:00:00Z"', [ALICE, DAVE, ERIN]),
        ('displayName eq "nobody"', []),
        ('userName eq "with \\"quotes\\""', []),
    ],
)
def test_filters(admin, expression, expected):
    assert sorted(names(admin.get("Users", params={"filter": expression}))) == expected


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("userName eq", "ends where a value was expected"),
        ('nosuch eq "x"', r"'nosuch' \(position 1\) is not an attribute of User"),
        ('userName xx "x"', "where an operator"),
        ('userName eq "a" and', "ends where an attribute name"),
        ('(userName eq "a"', 'where "\\)" was expected|ends where'),
        ("userName eq alice", "must be a quoted string"),
        ('active eq "yes"', "is a boolean"),
        ('name.nosuch eq "x"', "not an attribute of User"),
        ('userName eq "a" userName', "where and, or or the end"),
        ('emails[nosuch eq "x"]', "emails has no sub-attribute 'nosuch'"),
        ('userName eq "a" % 2', "unexpected character"),
    ],
)
def test_bad_filters_are_400_invalid_filter(admin, expression, says):
    import re

    detail = scim_error(
        admin.get("Users", params={"filter": expression}), 400, "error.common.common.invalidFilter", "invalidFilter"
    )
    assert re.search(says, detail), detail


def test_sort(admin):
    assert names(admin.get("Users", params={"sortBy": "userName"})) == [ALICE, DAVE, ERIN]
    assert names(admin.get("Users", params={"sortBy": "userName", "sortOrder": "descending"})) == [ERIN, DAVE, ALICE]
    assert names(admin.get("Users", params={"sortBy": "emails.value", "sortOrder": "DESCENDING"}))[0] == ERIN
    assert names(admin.get("Users", params={"sortBy": "name.givenName"})) == [ALICE, DAVE, ERIN]


def test_bad_sort_is_400(admin):
    scim_error(
        admin.get("Users", params={"sortBy": "nosuch"}), 400, "error.common.validation.invalidValue", "invalidValue"
    )
    scim_error(
        admin.get("Users", params={"sortBy": "userName", "sortOrder": "up"}),
        400,
        "error.common.validation.invalidValue",
        "invalidValue",
    )


def test_start_index_and_count(admin):
    response = admin.get("Users", params={"sortBy": "userName", "startIndex": 2, "count": 1})
    body = response.json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (3, 2, 1)
    assert names(response) == [DAVE]
    assert response.headers["opc-next-page"] == "3"
    empty = admin.get("Users", params={"count": 0}).json()
    assert (empty["totalResults"], empty["itemsPerPage"], empty["Resources"]) == (3, 0, [])
    past = admin.get("Users", params={"startIndex": 10}).json()
    assert (past["totalResults"], past["itemsPerPage"]) == (3, 0)


def test_page_and_limit_walk_every_user(admin):
    seen, page = [], None
    for _ in range(5):
        params = {"limit": 2, "sortBy": "userName", **({"page": page} if page else {})}
        response = admin.get("Users", params=params)
        seen += names(response)
        page = response.headers.get("opc-next-page")
        if page is None:
            break
    assert seen == [ALICE, DAVE, ERIN]


@pytest.mark.parametrize(
    "params",
    [{"count": "many"}, {"startIndex": "x"}, {"page": "0"}, {"page": "2", "startIndex": "1"}, {"count": -1}],
)
def test_bad_paging_is_400(admin, params):
    scim_error(admin.get("Users", params=params), 400, "error.common.validation.invalidValue", "invalidValue")


def test_count_is_capped_at_1000(admin):
    assert admin.get("Users", params={"count": 5000}).status_code == 200


def test_attributes_and_excluded_attributes(admin):
    one = admin.get(f"Users/{ALICE_ID}", params={"attributes": "userName,name.givenName"}).json()
    assert one == {
        "schemas": [USER_SCHEMA, USER_EXTENSION],
        "id": ALICE_ID,
        "userName": ALICE,
        "name": {"givenName": "Alice"},
    }
    listed = admin.get("Users", params={"attributes": "emails", "filter": f'userName eq "{ALICE}"'}).json()
    assert set(listed["Resources"][0]) == {"schemas", "id", "userName", "emails"}
    trimmed = admin.get(f"Users/{ALICE_ID}", params={"excludedAttributes": "emails,groups,meta"}).json()
    assert "emails" not in trimmed and "groups" not in trimmed and "meta" not in trimmed
    assert trimmed["id"] == ALICE_ID  # returned=always cannot be excluded
    extension = admin.get(f"Users/{ALICE_ID}", params={"attributes": f"{USER_EXTENSION}:isFederatedUser"}).json()
    assert extension[USER_EXTENSION] == {"isFederatedUser": False}


def test_attribute_sets(admin):
    always = admin.get(f"Users/{ALICE_ID}", params={"attributeSets": "always"}).json()
    assert set(always) == {"schemas", "id", "userName"}
    everything = admin.get(f"Users/{ALICE_ID}", params={"attributeSets": "all"}).json()
    assert everything[USER_EXTENSION]["creationMechanism"] == "import"  # returned=request
    assert "password" not in everything
    scim_error(
        admin.get("Users", params={"attributeSets": "some"}),
        400,
        "error.common.validation.invalidValue",
        "invalidValue",
    )


def test_search(admin):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "d" or userName sw "e"',
        "attributes": ["userName"],
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 1,
        "count": 10,
    }
    response = admin.post("Users/.search", body)
    assert response.status_code == 200, response.text
    assert [set(r) for r in response.json()["Resources"]] == [{"schemas", "id", "userName"}] * 2
    assert names(response) == [ERIN, DAVE]


@pytest.mark.parametrize(
    "body",
    [{"filter": "x"}, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "bogus": 1}, []],
)
def test_bad_search_is_400(admin, body):
    scim_error(admin.post("Users/.search", body), 400, "error.common.common.invalidSyntax", "invalidSyntax")


# ---------------------------------------------------------------------------------------------- writing


def test_create_user(idp, admin):
    response = admin.post("Users", new_user("fay@example.com", nickName="Fay", password="Fay-pass-1"))
    assert response.status_code == 201, response.text
    user = response.json()
    assert len(user["id"]) == 32 and int(user["id"], 16) >= 0
    assert user["ocid"].startswith("ocid1.user.oc1..")
    assert response.headers["Location"] == f"{idp.url}/admin/v1/Users/{user['id']}"
    assert response.headers["ETag"] == f'W/"{user["meta"]["version"]}"'
    assert user["nickName"] == "Fay" and user["active"] is True and "password" not in user
    assert user["meta"]["created"] == user["meta"]["lastModified"]
    assert user["idcsCreatedBy"]["type"] == "App" and user["idcsCreatedBy"]["value"]
    assert admin.get(f"Users/{user['id']}").json() == user


def test_create_needs_the_required_attributes(admin):
    detail = scim_error(
        admin.post("Users", {"schemas": [USER_SCHEMA]}),
        400,
        "error.common.validation.missingReqAttributes",
        "invalidValue",
    )
    assert detail == "Missing required attribute(s): userName,name.familyName,emails."


@pytest.mark.parametrize(
    ("body", "message_id", "scim_type"),
    [
        ({"userName": "x@example.com"}, "error.common.common.invalidSyntax", "invalidSyntax"),  # no schemas
        (new_user("x@example.com", bogus=1), "error.common.common.invalidSyntax", "invalidSyntax"),
        (new_user("x@example.com", active="yes"), "error.common.validation.invalidValue", "invalidValue"),
        (new_user("x@example.com", emails="x@example.com"), "error.common.validation.invalidValue", "invalidValue"),
        (new_user("has space@example.com"), "error.common.validation.invalidValue", "invalidValue"),
        ({**new_user("x@example.com"), "urn:nope:User": {}}, "error.common.common.invalidSyntax", "invalidSyntax"),
    ],
)
def test_bad_users_are_400(admin, body, message_id, scim_type):
    scim_error(admin.post("Users", body), 400, message_id, scim_type)


def test_bad_json_is_400(admin):
    response = admin("POST", "Users", data="{not json", headers={"Content-Type": SCIM})
    scim_error(response, 400, "error.common.common.invalidSyntax", "invalidSyntax")
    response = admin("POST", "Users", data="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    scim_error(response, 400, "error.common.common.invalidSyntax", "invalidSyntax")


def test_a_huge_body_is_413(admin):
    response = admin("POST", "Users", data="x" * 70_000, headers={"Content-Type": SCIM})
    scim_error(response, 413, "error.common.common.payloadTooLarge", "tooMany")


def test_user_names_are_unique_ignoring_case(admin):
    detail = scim_error(
        admin.post("Users", new_user("DAVE@example.com")), 409, "error.common.validation.uniqueness", "uniqueness"
    )
    assert DAVE in detail


def test_replace_user(admin):
    created = admin.post("Users", new_user("gil@example.com")).json()
    body = new_user("gil@example.com", family="Gilbert", title="Chef")
    response = admin.put(f"Users/{created['id']}", body, headers={"If-Match": f'W/"{created["meta"]["version"]}"'})
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["name"]["familyName"] == "Gilbert" and replaced["title"] == "Chef"
    assert replaced["meta"]["created"] == created["meta"]["created"]
    assert replaced["meta"]["version"] != created["meta"]["version"]
    stale = admin.put(f"Users/{created['id']}", body, headers={"If-Match": f'W/"{created["meta"]["version"]}"'})
    scim_error(stale, 412, "error.common.common.versionMismatch")


def test_rename_user_keeps_the_id(admin):
    created = admin.post("Users", new_user("hal@example.com")).json()
    renamed = admin.put(f"Users/{created['id']}", new_user("hal9000@example.com")).json()
    assert renamed["id"] == created["id"]
    assert names(admin.get("Users", params={"filter": 'userName sw "hal"'})) == ["hal9000@example.com"]


def test_patch_user(admin):
    dave = admin.get("Users", params={"filter": f'userName eq "{DAVE}"'}).json()["Resources"][0]
    response = admin.patch(
        f"Users/{dave['id']}",
        {"op": "replace", "path": "name.givenName", "value": "David"},
        {"op": "add", "path": "nickName", "value": "Davy"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "david@example.com"},
        {"op": "Replace", "value": {"displayName": "David D.", f"{USER_EXTENSION}": {"isFederatedUser": True}}},
        {"op": "add", "path": "addresses", "value": [{"locality": "Lisbon", "type": "work"}]},
        {"op": "remove", "path": 'addresses[type eq "work"]'},
        {"op": "remove", "path": "nickName"},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["name"]["givenName"] == "David"
    assert patched["emails"][0]["value"] == "david@example.com"
    assert patched["displayName"] == "David D."
    assert patched[USER_EXTENSION]["isFederatedUser"] is True
    assert "nickName" not in patched and not patched.get("addresses")


@pytest.mark.parametrize(
    ("operation", "message_id", "scim_type"),
    [
        ({"op": "move", "path": "nickName"}, "error.common.common.invalidSyntax", "invalidSyntax"),
        ({"op": "add", "path": "nickName"}, "error.common.common.invalidSyntax", "invalidSyntax"),
        ({"op": "remove"}, "error.common.common.noTarget", "noTarget"),
        ({"op": "replace", "path": "nosuch", "value": 1}, "error.common.common.invalidPath", "invalidPath"),
        ({"op": "replace", "path": "id", "value": "x"}, "error.common.validation.mutability", "mutability"),
        (
            {"op": "add", "path": "groups", "value": [{"value": "x"}]},
            "error.common.validation.mutability",
            "mutability",
        ),
        (
            {"op": "replace", "path": 'emails[type eq "home"].value', "value": "x"},
            "error.common.common.noTarget",
            "noTarget",
        ),
        (
            {"op": "replace", "path": "emails[type eq]", "value": "x"},
            "error.common.common.invalidFilter",
            "invalidFilter",
        ),
        ({"op": "replace", "path": "active", "value": "no"}, "error.common.validation.invalidValue", "invalidValue"),
    ],
)
def test_bad_patches_are_400(admin, operation, message_id, scim_type):
    scim_error(admin.patch(f"Users/{ALICE_ID}", operation), 400, message_id, scim_type)


def test_patch_needs_a_patch_op(admin):
    response = admin("PATCH", f"Users/{ALICE_ID}", json={"Operations": []})
    scim_error(response, 400, "error.common.common.invalidSyntax", "invalidSyntax")


def test_delete_user(admin):
    created = admin.post("Users", new_user("ivy@example.com")).json()
    assert admin.delete(f"Users/{created['id']}").status_code == 204
    scim_error(admin.get(f"Users/{created['id']}"), 404, "error.common.common.resourceNotFound")
    scim_error(admin.delete(f"Users/{created['id']}"), 404, "error.common.common.resourceNotFound")
    assert admin.delete(f"Users/{ALICE_ID}").status_code == 204  # a fixture user too
    assert ALICE not in names(admin.get("Users"))


# ---------------------------------------------------------------------------------------------- groups


def group_named(admin: Admin, name: str) -> dict:
    params = {"filter": f'displayName eq "{name}"', "attributes": "members", "attributeSets": "default"}
    found = admin.get("Groups", params=params).json()
    assert found["totalResults"] == 1, found
    return found["Resources"][0]


def test_fixture_groups_and_user_group_keys_are_one_membership(admin):
    listed = admin.get("Groups", params={"sortBy": "displayName"}).json()
    assert [g["displayName"] for g in listed["Resources"]] == ["Auditors", "Developers"]
    assert all("members" not in g for g in listed["Resources"])  # members: returned on request
    auditors = group_named(admin, "Auditors")
    assert sorted(m["name"] for m in auditors["members"]) == [ALICE, DAVE]
    assert auditors[GROUP_EXTENSION]["description"] == "People who read the books"
    assert [m["name"] for m in group_named(admin, "Developers")["members"]] == [DAVE]
    dave = admin.get("Users", params={"filter": f'userName eq "{DAVE}"'}).json()["Resources"][0]
    assert sorted(g["display"] for g in dave["groups"]) == ["Auditors", "Developers"]


def test_group_crud(admin):
    dave_id = admin.get("Users", params={"filter": f'userName eq "{DAVE}"'}).json()["Resources"][0]["id"]
    body = {
        "schemas": [GROUP_SCHEMA, GROUP_EXTENSION],
        "displayName": "Ops",
        "members": [{"value": ALICE_ID, "type": "User"}],
        GROUP_EXTENSION: {"description": "On call"},
    }
    created = admin.post("Groups", body, params={"attributeSets": "all"})
    assert created.status_code == 201, created.text
    group = created.json()
    assert "members" not in admin.post("Groups", {**body, "displayName": "Ops3"}).json()  # returned: request
    assert group["members"][0]["value"] == ALICE_ID and group[GROUP_EXTENSION]["description"] == "On call"
    patched = admin.patch(
        f"Groups/{group['id']}",
        {"op": "add", "path": "members", "value": [{"value": dave_id, "type": "User"}]},
        {"op": "remove", "path": f'members[value eq "{ALICE_ID}"]'},
    )
    assert patched.status_code == 200, patched.text
    assert [
        m["value"] for m in admin.get(f"Groups/{group['id']}", params={"attributes": "members"}).json()["members"]
    ] == [dave_id]
    removed = admin.patch(
        f"Groups/{group['id']}",
        {"op": "remove", "path": "members", "value": [{"value": dave_id}]},
        params={"attributes": "members"},
    )
    assert "members" not in removed.json()
    assert (
        admin.put(f"Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": "Ops2"}).json()["displayName"]
        == "Ops2"
    )
    assert admin.delete(f"Groups/{group['id']}").status_code == 204
    scim_error(admin.get(f"Groups/{group['id']}"), 404, "error.common.common.resourceNotFound")


def test_bad_groups(admin):
    scim_error(
        admin.post("Groups", {"schemas": [GROUP_SCHEMA]}),
        400,
        "error.common.validation.missingReqAttributes",
        "invalidValue",
    )
    scim_error(
        admin.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "auditors"}),
        409,
        "error.common.validation.uniqueness",
        "uniqueness",
    )
    detail = scim_error(
        admin.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "X", "members": [{"value": "nobody"}]}),
        400,
        "error.common.validation.invalidReferenceResource",
        "invalidValue",
    )
    assert detail == "Group.members references a User with ID nobody that does not exist."


def test_groups_need_a_group_scope_to_change(idp):
    dave = Admin(idp, user_token(idp, DAVE, scope="urn:opc:idm:t.user.me"))
    scim_error(dave.get("Groups"), 403, "error.common.exception.insufficientScope")


# ---------------------------------------------------------------------------------------------- me


def test_me_patch_and_its_limits(idp):
    dave = Admin(idp, user_token(idp, DAVE, scope="urn:opc:idm:t.user.me"))
    patched = dave.patch("Me", {"op": "replace", "path": "nickName", "value": "D"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["nickName"] == "D" and patched.json()["meta"]["resourceType"] == "Me"
    for operation in (
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "userName", "value": "boss@example.com"},
        {"op": "replace", "path": "password", "value": "x"},
    ):
        scim_error(dave.patch("Me", operation), 400, "error.common.validation.mutability", "mutability")
    scim_error(dave.get("Me/123"), 404, "error.common.common.resourceNotFound")


# ---------------------------------------------------------------------------------------------- discovery


def test_service_provider_config(admin):
    config = admin.get("ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 1000}
    assert config["sort"]["supported"] and config["etag"]["supported"]
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas(idp, admin):
    types = admin.get("ResourceTypes").json()
    endpoints = {t["name"]: t["endpoint"] for t in types["Resources"]}
    assert endpoints.items() >= {"User": "/Users", "Group": "/Groups", "Me": "/Me"}.items()
    assert endpoints == {t.name: f"/{t.endpoint}" for t in RESOURCE_TYPES.values()}
    user = admin.get("ResourceTypes/User").json()
    assert user["schema"] == USER_SCHEMA
    assert {"schema": USER_EXTENSION, "required": False} in user["schemaExtensions"]
    assert user["meta"]["location"] == f"{idp.url}/admin/v1/ResourceTypes/User"
    schema = admin.get(f"Schemas/{USER_SCHEMA}").json()
    by_name = {a["name"]: a for a in schema["attributes"]}
    assert by_name["userName"]["uniqueness"] == "global" and by_name["userName"]["required"] is True
    assert by_name["password"]["returned"] == "never" and by_name["password"]["mutability"] == "writeOnly"
    assert {a["name"] for a in by_name["name"]["subAttributes"]} >= {"givenName", "familyName"}
    assert admin.get("Schemas").json()["totalResults"] >= 5
    scim_error(admin.get("Schemas/urn:nope"), 404, "error.common.common.resourceNotFound")
    scim_error(admin.get("ResourceTypes/Gadget"), 404, "error.common.common.resourceNotFound")


def test_paths_and_methods_nobody_serves_answer_in_the_scim_shape(admin):
    scim_error(admin.get("Users/abc/def"), 404, "error.common.common.resourceNotFound")
    response = admin.post("Schemas", {})
    scim_error(response, 405, "error.common.common.methodNotAllowed")
    assert response.headers["Allow"] == "GET"
    scim_error(admin.delete("ServiceProviderConfig"), 405, "error.common.common.methodNotAllowed")
    scim_error(admin.post(f"Users/{ALICE_ID}", {}), 405, "error.common.common.methodNotAllowed")


def test_patch_of_a_whole_extension(admin):
    patched = admin.patch(
        f"Users/{ALICE_ID}",
        {
            "op": "add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "value": {"costCenter": "42"},
        },
    )
    assert patched.json()["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] == {"costCenter": "42"}
    removed = admin.patch(
        f"Users/{ALICE_ID}", {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
    )
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" not in removed.json()


def test_run_time_users_and_groups_are_bounded(admin, monkeypatch):
    from mockidp.core.admin import groups, users

    monkeypatch.setattr(users, "MAX_CREATED", 1)  # the server runs in this process: a smaller bound to reach
    monkeypatch.setattr(groups, "MAX_GROUPS", 1)
    assert admin.post("Users", new_user("one@example.com")).status_code == 201
    detail = scim_error(
        admin.post("Users", new_user("two@example.com")), 400, "error.common.validation.quotaExceeded", "tooMany"
    )
    assert "1 users" in detail
    assert admin.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "One"}).status_code == 201
    scim_error(
        admin.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Two"}),
        400,
        "error.common.validation.quotaExceeded",
        "tooMany",
    )


def test_deep_nesting_is_refused_not_recursed(admin):
    deep = "(" * 500 + "userName pr" + ")" * 500
    detail = scim_error(
        admin.get("Users", params={"filter": deep}), 400, "error.common.common.invalidFilter", "invalidFilter"
    )
    assert "deeper than 32" in detail
    for body in ("[" * 5000 + "]" * 5000, '{"a":' * 40 + "1" + "}" * 40):
        for path in ("Users", "Users/.search"):
            response = admin("POST", path, data=body, headers={"Content-Type": SCIM})
            assert "32 deep" in scim_error(response, 400, "error.common.common.invalidSyntax", "invalidSyntax")


def test_emails_and_phone_numbers_are_kept_as_sent(idp, admin):
    body = new_user(
        "kim@example.com",
        emails=[
            {"value": "kim@home.example", "type": "home"},
            {"value": "kim@example.com", "type": "work", "primary": True, "verified": True},
        ],
        phoneNumbers=[
            {"value": "+1 555 0100", "type": "mobile"},
            {"value": "+1 555 0199", "type": "work", "primary": True},
        ],
    )
    user = admin.post("Users", body).json()
    assert [(e["value"], e["type"], e["primary"]) for e in user["emails"]] == [
        ("kim@home.example", "home", False),
        ("kim@example.com", "work", True),
        ("kim@example.com", "recovery", False),  # the identity domain adds the recovery address
    ]
    assert [(p["value"], p["type"]) for p in user["phoneNumbers"]] == [
        ("+1 555 0100", "mobile"),
        ("+1 555 0199", "work"),
    ]
    domain_user = idp.domain.user("kim@example.com")
    assert (domain_user.email, domain_user.email_verified, domain_user.phone_number) == (
        "kim@example.com",
        True,
        "+1 555 0199",
    )


def test_a_user_signing_with_their_own_key_gets_their_roles_scopes(idp):
    from mockidp.core.admin import caller

    alice = caller.for_user(idp.domain, idp.domain.user(ALICE))
    assert alice.user_id == ALICE_ID and alice.kind == "user"
    assert {"urn:opc:idm:t.users", "urn:opc:idm:t.groups", "urn:opc:idm:t.user.me"} <= alice.scopes
    dave = caller.for_user(idp.domain, idp.domain.user(DAVE))
    assert dave.scopes == {"urn:opc:idm:t.user.me"}


def test_filter_sort_and_page_together(admin):
    params = {"filter": 'emails.value ew "example.com"', "sortBy": "userName", "sortOrder": "descending"}
    assert names(admin.get("Users", params=params)) == [DAVE, ALICE]
    second = admin.get("Users", params={**params, "startIndex": 2, "count": 1})
    assert names(second) == [ALICE] and second.json()["totalResults"] == 2 and "opc-next-page" not in second.headers
    again = admin.get("Users", params={**params, "sortOrder": "ascending"})  # the other order, from the same list
    assert names(again) == [ALICE, DAVE]
