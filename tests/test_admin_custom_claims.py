"""`/admin/v1/CustomClaims` (the OCI SDK has no client for it: raw requests, as the identity-domain guide's curl
examples), and the claim in the next matching access or ID token, verified with PyJWT against the JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockidp.testing import MockIdP
from tests.admin_apps_support import APP_ADMIN, CLAIM_SCHEMA, SECURITY_ADMIN, Admin, admin_fixtures, assert_scim_error
from tests.conftest import ORDERS, SECOND_USER, SEED_CLIENT_ID
from tests.helpers import password_tokens, token_for, verify

INVALID_VALUE = "error.common.validation.invalidValue"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(admin_fixtures(tmp_path_factory.mktemp("claims"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def admin(idp: MockIdP) -> Admin:
    return Admin(idp, SECURITY_ADMIN)


def claim(**attributes: Any) -> dict[str, Any]:
    """The guide's example body (attributes override)."""
    return {
        "schemas": [CLAIM_SCHEMA],
        "name": "MyATCustomClaim",
        "value": "MyATValue",
        "expression": False,
        "mode": "always",
        "tokenType": "AT",
        "allScopes": True,
        **attributes,
    }


def client_at(idp: MockIdP, scope: str = ORDERS + "read") -> dict:
    token = token_for(idp, grant_type="client_credentials", scope=scope)["access_token"]
    return verify(idp, token, None)


def user_tokens(idp: MockIdP, scope: str = "openid " + ORDERS + "read", user: str = "user@example.com") -> tuple:
    answer = password_tokens(idp, scope, user=user)
    access = verify(idp, answer["access_token"], None)
    id_token = verify(idp, answer["id_token"], [idp.issuer, SEED_CLIENT_ID]) if "id_token" in answer else None
    return access, id_token


def test_the_guides_example_goes_into_every_access_token(idp: MockIdP, admin: Admin) -> None:
    response = admin.post("CustomClaims", claim())
    created = admin.ok(response, 201)
    assert response.headers["Location"] == f"{admin.base}CustomClaims/{created['id']}"
    assert {k: created[k] for k in ("name", "value", "expression", "mode", "tokenType", "allScopes")} == {
        "name": "MyATCustomClaim",
        "value": "MyATValue",
        "expression": False,
        "mode": "always",
        "tokenType": "AT",
        "allScopes": True,
    }
    assert client_at(idp)["MyATCustomClaim"] == "MyATValue"
    access, id_token = user_tokens(idp)
    assert access["MyATCustomClaim"] == "MyATValue"
    assert "MyATCustomClaim" not in id_token  # tokenType AT
    assert admin.ok(admin.get(f"CustomClaims/{created['id']}")) == created
    assert [c["id"] for c in admin.resources("CustomClaims", filter='name eq "MyATCustomClaim"')] == [created["id"]]


def test_an_expression_takes_the_users_value_in_both_tokens(idp: MockIdP, admin: Admin) -> None:
    admin.ok(
        admin.post(
            "CustomClaims", claim(name="full_name", value="$user.name.formatted", expression=True, tokenType="BOTH")
        ),
        201,
    )
    admin.ok(
        admin.post("CustomClaims", claim(name="mail", value="$user.emails.0.value", expression=True, tokenType="IT")),
        201,
    )
    admin.ok(admin.post("CustomClaims", claim(name="team", value="$user.groups.1.display", expression=True)), 201)
    access, id_token = user_tokens(idp)
    assert access["full_name"] == id_token["full_name"] == "alice alice"
    assert id_token["mail"] == "user@example.com" and "mail" not in access
    assert "team" not in access  # the seed user is in no group: no value, no claim
    bob, _ = user_tokens(idp, user=SECOND_USER)
    assert bob["team"] == "Orders Admins"
    assert "full_name" not in client_at(idp)  # a client token has no user to take it from


def test_scopes_and_modes_decide_which_tokens_get_the_claim(idp: MockIdP, admin: Admin) -> None:
    admin.ok(admin.post("CustomClaims", claim(name="on_write", mode="request", scopes=[ORDERS + "write"])), 201)
    admin.ok(admin.post("CustomClaims", claim(name="on_read", allScopes=False, scopes=["read"])), 201)
    admin.ok(admin.post("CustomClaims", claim(name="off", mode="never")), 201)
    read_only = client_at(idp, ORDERS + "read")
    assert read_only["on_read"] == "MyATValue"
    assert "on_write" not in read_only and "off" not in read_only
    writing = client_at(idp, ORDERS + "write")
    assert writing["on_write"] == "MyATValue"
    assert "on_read" not in writing and "off" not in writing


def test_a_replaced_claim_holds_for_the_next_token_and_a_deleted_one_is_gone(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("CustomClaims", claim()), 201)
    replaced = admin.ok(admin.put(f"CustomClaims/{created['id']}", claim(value="Changed")))
    assert replaced["meta"]["created"] == created["meta"]["created"]
    assert replaced["idcsCreatedBy"] == created["idcsCreatedBy"] == replaced["idcsLastModifiedBy"]
    assert created["idcsCreatedBy"]["type"] == "App"
    assert replaced["meta"]["version"] != created["meta"]["version"]
    assert client_at(idp)["MyATCustomClaim"] == "Changed"
    patched = admin.ok(
        admin.patch(f"CustomClaims/{created['id']}", {"op": "replace", "path": "value", "value": "Patched"})
    )
    assert patched["value"] == "Patched"
    assert client_at(idp)["MyATCustomClaim"] == "Patched"
    assert admin.delete(f"CustomClaims/{created['id']}").status_code == 204
    assert "MyATCustomClaim" not in client_at(idp)
    assert_scim_error(
        admin.get(f"CustomClaims/{created['id']}"),
        404,
        "error.common.common.resourceNotFound",
        f"Resource {created['id']} of type CustomClaim not found.",
    )


def test_a_reset_drops_custom_claims(idp: MockIdP, admin: Admin) -> None:
    admin.ok(admin.post("CustomClaims", claim()), 201)
    idp.reset()
    assert "MyATCustomClaim" not in client_at(idp)
    assert Admin(idp, SECURITY_ADMIN).resources("CustomClaims") == []


@pytest.mark.parametrize(
    ("body", "message_id", "detail"),
    [
        (
            {"schemas": [CLAIM_SCHEMA], "name": "x"},
            "error.common.validation.missingReqAttributes",
            "Missing required attribute(s): value,expression,mode,tokenType,allScopes.",
        ),
        (
            {**claim(), "schemas": []},
            "error.common.common.invalidSyntax",
            f'A CustomClaim needs "schemas": ["{CLAIM_SCHEMA}"].',
        ),
        (claim(colour="red"), "error.common.common.invalidSyntax", "'colour' is not an attribute of CustomClaim."),
        (
            claim(
                value="$user.urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User:isFederatedUser",
                expression=True,
            ),
            INVALID_VALUE,
            "The expression '$user.urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User:isFederatedUser' "
            "is not supported by mockidp; it evaluates $user.<attribute> for these attributes (N an index from 0): "
            "userName, displayName, name.formatted, name.givenName, name.familyName, locale, timezone, active, "
            "emails.N.value, emails.N.type, emails.N.primary, phoneNumbers.N.value, groups.N.display.",
        ),
        (
            claim(value="user.userName", expression=True),
            INVALID_VALUE,
            "The expression 'user.userName' is not supported by mockidp; it evaluates $user.<attribute> for these "
            "attributes (N an index from 0): userName, displayName, name.formatted, name.givenName, name.familyName, "
            "locale, timezone, active, emails.N.value, emails.N.type, emails.N.primary, phoneNumbers.N.value, "
            "groups.N.display.",
        ),
        (
            claim(name="sub"),
            INVALID_VALUE,
            "name 'sub' is a claim the identity domain sets itself; choose another name.",
        ),
        (claim(name="n" * 101), INVALID_VALUE, "name must be 1 to 100 characters, got 101."),
        (claim(value="v" * 101), INVALID_VALUE, "value must be at most 100 characters, got 101."),
        (claim(mode="sometimes"), INVALID_VALUE, "mode must be one of always, request, never, got 'sometimes'."),
        (claim(tokenType="RT"), INVALID_VALUE, "tokenType must be one of AT, IT, BOTH, got 'RT'."),
        (claim(expression="false"), INVALID_VALUE, "expression must be true or false, got 'false'."),
        (claim(allScopes=False), INVALID_VALUE, "With allScopes false, list the scopes the claim goes with in scopes."),
        (
            claim(mode="request"),
            INVALID_VALUE,
            'mode "request" adds the claim when one of its scopes is requested: list them in scopes.',
        ),
        (claim(scopes="read"), INVALID_VALUE, "scopes must be a list of scope names, got 'read'."),
    ],
)
def test_every_bad_custom_claim_is_a_scim_400(admin: Admin, body: dict, message_id: str, detail: str | None) -> None:
    assert_scim_error(admin.post("CustomClaims", body), 400, message_id, detail)


def test_a_taken_name_is_a_409(admin: Admin) -> None:
    first = admin.ok(admin.post("CustomClaims", claim()), 201)
    assert_scim_error(
        admin.post("CustomClaims", claim()),
        409,
        "error.common.validation.uniqueness",
        f"A custom claim named 'MyATCustomClaim' exists already (id {first['id']}).",
        "uniqueness",
    )


def test_only_security_administrators_manage_custom_claims(idp: MockIdP) -> None:
    app_admin = Admin(idp, APP_ADMIN)
    body = assert_scim_error(app_admin.post("CustomClaims", claim()), 403, "error.common.exception.insufficientScope")
    assert "urn:opc:idm:t.security" in body["detail"]
