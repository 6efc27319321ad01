"""userinfo, introspection and revocation over real HTTP, including every way a token can be bad."""

from __future__ import annotations

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from mockidp.testing import MockIdP
from tests.conftest import ORDERS, PUBLIC_CLIENT_ID, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER
from tests.helpers import SEED_AUTH, SEED_USERINFO, assert_error, password_tokens, post_token, token_for

READ = f"{ORDERS}read"


def userinfo(idp: MockIdP, token: str | None = None, method: str = "GET", **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, idp.userinfo_url, headers=headers, timeout=10, **kwargs)


def test_userinfo_is_the_documented_sample(idp: MockIdP):
    token = password_tokens(idp, "openid profile email approles")["access_token"]
    response = userinfo(idp, token)
    assert response.status_code == 200
    assert response.json() == SEED_USERINFO
    assert list(response.json()) == list(SEED_USERINFO)  # even the member order
    assert response.headers["Cache-Control"] == "no-store"


def test_userinfo_claims_follow_the_scopes(idp: MockIdP):
    token = password_tokens(idp, "openid")["access_token"]
    assert userinfo(idp, token).json() == {"sub": SEED_USER}
    token = password_tokens(idp, "openid email groups", user="bob@example.com")["access_token"]
    body = userinfo(idp, token).json()
    assert body["email"] == "bob@example.com" and body["email_verified"] is True
    assert [g["displayName"] for g in body["groups"]] == ["Developers", "Orders Admins"]
    assert "name" not in body


@pytest.mark.parametrize("how", ["post-header", "query", "form"])
def test_userinfo_token_placements(idp: MockIdP, how: str):
    token = password_tokens(idp, "openid")["access_token"]
    if how == "post-header":
        response = userinfo(idp, token, method="POST")
    elif how == "query":
        response = requests.get(idp.userinfo_url, params={"access_token": token}, timeout=10)
    else:
        response = requests.post(idp.userinfo_url, data={"access_token": token}, timeout=10)
    assert response.status_code == 200 and response.json() == {"sub": SEED_USER}


def assert_invalid_token(response: requests.Response, description: str) -> None:
    assert_error(response, 401, "invalid_token", description)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert f'error_description="{description.replace(chr(34), chr(39))}"' in challenge


def test_userinfo_without_a_token(idp: MockIdP):
    assert_invalid_token(userinfo(idp), "The request has no access token: send it as Authorization: Bearer <token>.")


def test_userinfo_with_a_malformed_token(idp: MockIdP):
    assert_invalid_token(userinfo(idp, "not.a.jwt"), "The token is not a JWT.")
    assert_invalid_token(
        userinfo(idp, headers={"Authorization": "Basic abc"}),
        'The Authorization header must be "Bearer <access token>".',
    )


def test_userinfo_with_a_token_signed_by_someone_else(idp: MockIdP):
    genuine = jwt.decode(password_tokens(idp, "openid")["access_token"], options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(genuine, other_key, algorithm="RS256", headers={"kid": "SIGNING_KEY"})
    assert_invalid_token(userinfo(idp, forged), "The token signature does not verify with this identity domain's keys.")
    unknown_kid = jwt.encode(genuine, other_key, algorithm="RS256", headers={"kid": "SOMEONE_ELSE"})
    assert_invalid_token(userinfo(idp, unknown_kid), "The token was not signed by a key of this identity domain.")
    alg_none = jwt.encode(genuine, None, algorithm="none", headers={"kid": "SIGNING_KEY"})
    assert userinfo(idp, alg_none).status_code == 401


def test_userinfo_with_an_expired_token(fresh_idp: MockIdP):
    token = password_tokens(fresh_idp, "openid")["access_token"]
    fresh_idp.domain.clock.advance(3601)
    response = userinfo(fresh_idp, token)
    assert response.status_code == 401
    assert response.json()["error_description"].startswith("The token expired at ")


def test_userinfo_with_a_client_token(idp: MockIdP):
    token = token_for(idp, grant_type="client_credentials", scope=READ)["access_token"]
    assert_invalid_token(
        userinfo(idp, token), "The access token was issued to a client, not a user; userinfo needs a user's token."
    )


def test_userinfo_without_openid(idp: MockIdP):
    token = password_tokens(idp, READ)["access_token"]
    response = userinfo(idp, token)
    assert_error(response, 403, "insufficient_scope", "The access token lacks the openid scope that userinfo needs.")


def test_userinfo_with_the_id_token(idp: MockIdP):
    id_token = password_tokens(idp, "openid")["id_token"]
    assert_invalid_token(userinfo(idp, id_token), "The token is not an access token (tok_type 'IT').")


def test_userinfo_token_sent_twice(idp: MockIdP):
    token = password_tokens(idp, "openid")["access_token"]
    response = requests.get(
        idp.userinfo_url, params={"access_token": token}, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert_error(response, 400, "invalid_request")


# -- introspection -----------------------------------------------------------------------------------------


def introspect(idp: MockIdP, token: str, auth=SEED_AUTH, **extra) -> requests.Response:
    return requests.post(idp.introspect_url, data={"token": token, **extra}, auth=auth, timeout=10)


def test_introspect_an_active_access_token(idp: MockIdP):
    token = token_for(idp, grant_type="client_credentials", scope=READ)["access_token"]
    response = introspect(idp, token)
    assert response.status_code == 200
    body = response.json()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert body == {**claims, "active": True, "token_type": "JWT"}


def test_introspect_inactive_tokens(fresh_idp: MockIdP):
    token = token_for(fresh_idp, grant_type="client_credentials", scope=READ)["access_token"]
    assert introspect(fresh_idp, "garbage").json() == {"active": False}
    assert introspect(fresh_idp, token[:-4] + "AAAA").json() == {"active": False}
    fresh_idp.domain.clock.advance(3601)
    assert introspect(fresh_idp, token).json() == {"active": False}


def test_introspect_a_refresh_token(idp: MockIdP):
    refresh = password_tokens(idp, "openid offline_access")["refresh_token"]
    body = introspect(idp, refresh, token_type_hint="refresh_token").json()
    assert body["active"] is True and body["client_id"] == SEED_CLIENT_ID and body["sub"] == SEED_USER
    assert body["scope"] == "openid offline_access"


def test_introspect_needs_client_authentication(idp: MockIdP):
    assert_error(introspect(idp, "x", auth=None), 401, "invalid_client")
    assert_error(
        introspect(idp, "x", auth=(SEED_CLIENT_ID, "wrong")), 401, "invalid_client", "Client authentication failed."
    )
    response = requests.post(idp.introspect_url, data={"token_type_hint": "access_token"}, auth=SEED_AUTH, timeout=10)
    assert_error(response, 400, "invalid_request", "The token parameter is required.")
    assert_error(introspect(idp, "x", token_type_hint="id_token"), 400, "invalid_request")


# -- revocation --------------------------------------------------------------------------------------------


def revoke(idp: MockIdP, token: str, auth=SEED_AUTH, **extra) -> requests.Response:
    return requests.post(idp.revoke_url, data={"token": token, **extra}, auth=auth, timeout=10)


def test_revoked_access_token_is_refused_everywhere(fresh_idp: MockIdP):
    token = password_tokens(fresh_idp, "openid")["access_token"]
    assert userinfo(fresh_idp, token).status_code == 200
    response = revoke(fresh_idp, token)
    assert response.status_code == 200 and response.content == b""
    assert_invalid_token(userinfo(fresh_idp, token), "The token has been revoked.")
    assert introspect(fresh_idp, token).json() == {"active": False}


def test_revoked_refresh_token_cannot_be_redeemed(fresh_idp: MockIdP):
    refresh = password_tokens(fresh_idp, "openid offline_access")["refresh_token"]
    assert revoke(fresh_idp, refresh, token_type_hint="refresh_token").status_code == 200
    assert introspect(fresh_idp, refresh).json() == {"active": False}
    response = post_token(fresh_idp, {"grant_type": "refresh_token", "refresh_token": refresh})
    assert_error(response, 400, "invalid_grant", "The refresh token is invalid or has been revoked.")


def test_revoking_an_unknown_token_is_fine(idp: MockIdP):
    assert revoke(idp, "never-issued").status_code == 200


def test_revoking_another_clients_token(serve_fixtures):
    server = serve_fixtures(
        **{
            "f.toml": """
        [[clients]]
        client_id = "a"
        client_secret = "s"
        app_roles = ["Authenticated Client"]
        [[clients]]
        client_id = "b"
        client_secret = "s"
    """
        }
    )
    token = token_for(server, auth=("a", "s"), grant_type="client_credentials", scope="urn:opc:idm:__myscopes__")[
        "access_token"
    ]
    assert_error(revoke(server, token, auth=("b", "s")), 400, "unauthorized_client", "Client authorization failed.")
    assert introspect(server, token, auth=("a", "s")).json()["active"] is True


def test_revoke_needs_client_authentication(idp: MockIdP):
    assert_error(revoke(idp, "x", auth=None), 401, "invalid_client")
    assert_error(
        revoke(idp, "x", auth=None, client_id=PUBLIC_CLIENT_ID, client_secret=SEED_CLIENT_SECRET), 401, "invalid_client"
    )
