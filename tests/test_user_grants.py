"""password and refresh_token grants: user access tokens, ID tokens, refresh tokens and their failures."""

from __future__ import annotations

import jwt
import pytest
from authlib.integrations.requests_client import OAuth2Session

from mockidp.testing import MockIdP
from tests.conftest import ORDERS, PASSWORD, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER, TENANT
from tests.helpers import assert_error, password_tokens, post_token, token_for, verify

READ = f"{ORDERS}read"


def test_password_grant_user_token(idp: MockIdP):
    body = password_tokens(idp, f"openid {READ}")
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token"}
    claims = verify(idp, body["access_token"], audience=ORDERS)
    assert claims["sub"] == SEED_USER and claims["sub_type"] == "user"
    assert claims["gtp"] == "ro" and claims["tok_type"] == "AT"
    assert claims["scope"] == "read openid"
    assert claims["user_tenantname"] == claims["user.tenant.name"] == TENANT
    assert claims["user_displayname"] == "alice alice"
    assert len(claims["user_id"]) == 32
    assert claims["userAppRoles"] == ["Authenticated"]
    assert claims["amr"] == ["USERNAME_PASSWORD"] and claims["idp_type"] == "LOCAL"
    assert claims["client_id"] == SEED_CLIENT_ID


def test_id_token(idp: MockIdP):
    body = password_tokens(idp, "openid")
    issuer = "https://identity.oraclecloud.com/"
    claims = verify(idp, body["id_token"], audience=SEED_CLIENT_ID)
    assert claims["aud"] == [issuer, SEED_CLIENT_ID]
    assert claims["tok_type"] == "IT" and claims["azp"] == SEED_CLIENT_ID
    assert claims["exp"] == claims["session_exp"] == claims["auth_time"] + 28800
    access = verify(idp, body["access_token"], audience=None)
    assert claims["sid"] == access["sid"]
    # openid alone: the access token is for the identity domain itself
    assert access["aud"] == [f"https://{TENANT}.identity.oraclecloud.com", f"urn:opc:lbaas:logicalguid={TENANT}"]


def test_at_hash_matches(idp: MockIdP):
    import base64
    import hashlib

    body = password_tokens(idp, "openid")
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert jwt.decode(body["id_token"], options={"verify_signature": False})["at_hash"] == expected


def test_no_id_token_without_openid(idp: MockIdP):
    assert "id_token" not in password_tokens(idp, READ)


def test_user_with_groups_and_roles(idp: MockIdP):
    body = password_tokens(idp, "openid get_groups get_approles urn:opc:idm:__myscopes__", user="bob@example.com")
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert access["userAppRoles"] == ["Authenticated", "Orders Approver", "User Administrator"]
    # identity-domain scopes from the client's and the user's app roles
    assert set(access["scope"].split()) >= {
        "urn:opc:idm:t.security.client",
        "urn:opc:idm:t.user.me",
        "urn:opc:idm:t.users",
        "openid",
    }
    id_claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert [g["name"] for g in id_claims["groups"]] == ["Developers", "Orders Admins"]
    assert [r["name"] for r in id_claims["appRoles"]] == ["Orders Approver", "User Administrator"]


@pytest.mark.parametrize(("user", "password"), [(SEED_USER, "wrong"), ("nobody@example.com", PASSWORD)])
def test_wrong_credentials(idp: MockIdP, user: str, password: str):
    response = post_token(idp, {"grant_type": "password", "username": user, "password": password, "scope": "openid"})
    assert_error(response, 400, "invalid_grant", "The user name or password is incorrect.")


def test_missing_password(idp: MockIdP):
    response = post_token(idp, {"grant_type": "password", "username": SEED_USER, "scope": "openid"})
    assert_error(response, 400, "invalid_request", "The password parameter is required for grant_type password.")


# -- refresh tokens ----------------------------------------------------------------------------------------


def test_offline_access_brings_a_refresh_token_that_works(idp: MockIdP):
    first = password_tokens(idp, f"openid offline_access {READ}")
    assert set(first) == {"access_token", "token_type", "expires_in", "id_token", "refresh_token"}
    assert first["refresh_token"].startswith("AQAg")
    second = token_for(idp, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert set(second) == {"access_token", "token_type", "expires_in", "id_token", "refresh_token"}
    claims = verify(idp, second["access_token"], audience=ORDERS)
    assert claims["gtp"] == "rt" and claims["sub"] == SEED_USER and claims["scope"] == "read openid offline_access"
    original = jwt.decode(first["id_token"], options={"verify_signature": False})
    again = jwt.decode(second["id_token"], options={"verify_signature": False})
    assert again["sid"] == original["sid"] and again["auth_time"] == original["auth_time"]


def test_refresh_can_narrow_but_not_widen(idp: MockIdP):
    refresh = password_tokens(idp, f"openid offline_access {READ}")["refresh_token"]
    narrowed = token_for(idp, grant_type="refresh_token", refresh_token=refresh, scope=READ)
    assert verify(idp, narrowed["access_token"], audience=ORDERS)["scope"] == "read"
    assert "id_token" not in narrowed
    response = post_token(idp, {"grant_type": "refresh_token", "refresh_token": refresh, "scope": f"{ORDERS}write"})
    assert_error(
        response,
        400,
        "invalid_scope",
        f'The scope "{ORDERS}write" was not granted originally; a refresh can only keep or narrow the original scopes.',
    )


def test_no_refresh_token_for_client_credentials(idp: MockIdP):
    assert "refresh_token" not in token_for(idp, grant_type="client_credentials", scope=f"{READ} offline_access")


def test_unknown_refresh_token(idp: MockIdP):
    response = post_token(idp, {"grant_type": "refresh_token", "refresh_token": "AQAgnope"})
    assert_error(response, 400, "invalid_grant", "The refresh token is invalid or has been revoked.")


def test_refresh_token_of_another_client(serve_fixtures):
    server = serve_fixtures(
        **{
            "f.toml": """
        [[clients]]
        client_id = "a"
        client_secret = "s"
        grant_types = ["password", "refresh_token"]
        [[clients]]
        client_id = "b"
        client_secret = "s"
        grant_types = ["refresh_token"]
        [[users]]
        user_name = "u"
        password = "p"
    """
        }
    )
    refresh = token_for(
        server, auth=("a", "s"), grant_type="password", username="u", password="p", scope="openid offline_access"
    )["refresh_token"]
    response = post_token(server, {"grant_type": "refresh_token", "refresh_token": refresh}, auth=("b", "s"))
    assert_error(response, 400, "invalid_grant", "The refresh token was issued to another client.")


def test_expired_refresh_token(fresh_idp: MockIdP):
    refresh = password_tokens(fresh_idp, "openid offline_access")["refresh_token"]
    fresh_idp.domain.clock.advance(604800 + 1)
    response = post_token(fresh_idp, {"grant_type": "refresh_token", "refresh_token": refresh})
    assert_error(response, 400, "invalid_grant", "The refresh token has expired.")


def test_authlib_refreshes_with_the_refresh_token(idp: MockIdP):
    with OAuth2Session(SEED_CLIENT_ID, SEED_CLIENT_SECRET, scope=f"openid offline_access {READ}") as session:
        token = session.fetch_token(idp.token_url, grant_type="password", username=SEED_USER, password=PASSWORD)
        refreshed = session.refresh_token(idp.token_url, refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert verify(idp, refreshed["access_token"], audience=ORDERS)["gtp"] == "rt"
