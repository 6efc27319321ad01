"""client_credentials with real client libraries, the IDCS claim set, and scope resolution (idcs-reference §3-§5)."""

from __future__ import annotations

import asyncio

import jwt
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.requests_client import OAuth2Session
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as RequestsOAuthlibSession

from mockidp.testing import MockIdP
from tests.conftest import ORDERS, SEED_CLIENT_ID, SEED_CLIENT_SECRET, TENANT
from tests.helpers import assert_error, post_token, token_for, verify

READ = f"{ORDERS}read"
WRITE = f"{ORDERS}write"
IDM_AUDIENCES = [f"https://{TENANT}.identity.oraclecloud.com", f"urn:opc:lbaas:logicalguid={TENANT}"]


def test_success_body_headers_and_claims(idp: MockIdP):
    response = post_token(idp, {"grant_type": "client_credentials", "scope": READ})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-ORACLE-DMS-ECID"] and response.headers["X-ORACLE-DMS-RID"]

    claims = verify(idp, body["access_token"], audience=ORDERS)
    assert claims["sub"] == SEED_CLIENT_ID and claims["client_id"] == SEED_CLIENT_ID
    assert claims["sub_type"] == "client" and claims["sub_mappingattr"] == "userName"
    assert claims["tok_type"] == "AT" and claims["gtp"] == "cc"
    assert claims["aud"] == ORDERS  # one audience: a string, as the real service sends it
    assert claims["scope"] == "read"  # the short name
    assert claims["iss"] == "https://identity.oraclecloud.com/"
    assert claims["tenant"] == claims["client_tenantname"] == claims["user.tenant.name"] == TENANT
    assert claims["client_name"] == "Seed confidential app"
    assert len(claims["client_guid"]) == 32 and claims["client_guid"] != SEED_CLIENT_ID
    assert len(claims["jti"]) == 32
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["clientAppRoles"] == ["Authenticated Client"]
    assert claims["region_name"] == "us-ashburn-idcs-1" and claims["domain_home"] == "us-ashburn-1"
    assert "user_id" not in claims and "typ" not in jwt.get_unverified_header(body["access_token"])


def test_two_tokens_differ(idp: MockIdP):
    first = token_for(idp, grant_type="client_credentials", scope=READ)["access_token"]
    second = token_for(idp, grant_type="client_credentials", scope=READ)["access_token"]
    assert (
        jwt.decode(first, options={"verify_signature": False})["jti"]
        != jwt.decode(second, options={"verify_signature": False})["jti"]
    )


def test_client_secret_post(idp: MockIdP):
    body = token_for(
        idp,
        auth=None,
        grant_type="client_credentials",
        scope=f"{READ} {WRITE}",
        client_id=SEED_CLIENT_ID,
        client_secret=SEED_CLIENT_SECRET,
    )
    assert verify(idp, body["access_token"], audience=ORDERS)["scope"] == "read write"


def test_requests_oauthlib_backend_application_client(idp: MockIdP, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib refuses http:// otherwise
    session = RequestsOAuthlibSession(client=BackendApplicationClient(client_id=SEED_CLIENT_ID))
    token = session.fetch_token(
        token_url=idp.token_url, client_id=SEED_CLIENT_ID, client_secret=SEED_CLIENT_SECRET, scope=[READ]
    )
    assert token["token_type"] == "Bearer"
    assert verify(idp, token["access_token"], audience=ORDERS)["gtp"] == "cc"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_oauth2session(idp: MockIdP, method: str):
    with OAuth2Session(SEED_CLIENT_ID, SEED_CLIENT_SECRET, scope=READ, token_endpoint_auth_method=method) as session:
        token = session.fetch_token(idp.token_url, grant_type="client_credentials")
    assert token["expires_in"] == 3600 and token["expires_at"] > 0
    assert verify(idp, token["access_token"], audience=ORDERS)["client_id"] == SEED_CLIENT_ID


def test_authlib_async_client(idp: MockIdP):
    async def fetch() -> dict:
        async with AsyncOAuth2Client(SEED_CLIENT_ID, SEED_CLIENT_SECRET, scope=WRITE) as client:
            return await client.fetch_token(idp.token_url, grant_type="client_credentials")

    token = asyncio.run(fetch())
    assert verify(idp, token["access_token"], audience=ORDERS)["scope"] == "write"


def test_basic_credentials_are_url_decoded(serve_fixtures):
    server = serve_fixtures(
        **{
            "c.toml": '[[clients]]\nclient_id = "app:1"\nclient_secret = "p@ss:w+rd/é"\n'
            'app_roles = ["Authenticated Client"]\n'
        }
    )
    # requests does not URL-encode; build the header the IDCS way: urlencode id and secret, then base64
    from urllib.parse import quote_plus

    import requests

    response = requests.post(
        server.token_url,
        auth=(quote_plus("app:1"), quote_plus("p@ss:w+rd/é")),
        data={"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_expiry_scope_sets_the_lifetime(idp: MockIdP):
    body = token_for(idp, grant_type="client_credentials", scope=f"{READ} urn:opc:resource:expiry=600")
    assert body["expires_in"] == 600
    claims = verify(idp, body["access_token"], audience=ORDERS)
    assert claims["exp"] - claims["iat"] == 600 and claims["scope"] == "read"
    for bad in ("urn:opc:resource:expiry=5", "urn:opc:resource:expiry=soon"):
        assert_error(
            post_token(idp, {"grant_type": "client_credentials", "scope": f"{READ} {bad}"}),
            400,
            "invalid_scope",
            f'"{bad}" must give a whole number of seconds between 60 and 31536000.',
        )


def test_myscopes_grants_the_identity_domain_scopes_of_the_app_roles(idp: MockIdP):
    body = token_for(idp, grant_type="client_credentials", scope="urn:opc:idm:__myscopes__")
    claims = verify(idp, body["access_token"], audience=IDM_AUDIENCES[0])
    assert claims["aud"] == IDM_AUDIENCES
    assert claims["scope"] == "urn:opc:idm:t.security.client"


def test_over_asking_identity_domain_scopes_is_not_an_error(idp: MockIdP):
    body = token_for(idp, grant_type="client_credentials", scope="urn:opc:idm:t.security.client urn:opc:idm:t.users")
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["scope"] == "urn:opc:idm:t.security.client"


def test_scope_the_client_was_not_given(serve_fixtures):
    server = serve_fixtures(
        **{
            "f.toml": f"""
        [[resources]]
        name = "Orders"
        audience = "{ORDERS}"
        scopes = ["read", "write"]
        [[clients]]
        client_id = "c"
        client_secret = "s"
        allowed_scopes = ["{READ}"]
    """
        }
    )
    assert_error(
        post_token(server, {"grant_type": "client_credentials", "scope": WRITE}, auth=("c", "s")),
        400,
        "unauthorized_client",
        "Client authorization failed.",
    )
    assert_error(
        post_token(server, {"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"}, auth=("c", "s")),
        400,
        "invalid_scope",
    )


MULTI = {
    "f.toml": f"""
    [[resources]]
    name = "Orders"
    audience = "{ORDERS}"
    secondary_audiences = ["urn:orders"]
    scopes = ["read"]
    [[resources]]
    name = "Billing"
    audience = "https://billing.example.com/"
    scopes = ["pay"]
    [[clients]]
    client_id = "c"
    client_secret = "s"
    allowed_scopes = ["{READ}", "https://billing.example.com/pay"]
"""
}


def test_secondary_audiences_make_aud_an_array(serve_fixtures):
    server = serve_fixtures(**MULTI)
    claims = verify(
        server,
        token_for(server, auth=("c", "s"), grant_type="client_credentials", scope=READ)["access_token"],
        audience="urn:orders",
    )
    assert claims["aud"] == [ORDERS, "urn:orders"]


def test_scopes_of_several_resources_need_multiresourcescope(serve_fixtures):
    server = serve_fixtures(**MULTI)
    both = f"{READ} https://billing.example.com/pay"
    assert_error(
        post_token(server, {"grant_type": "client_credentials", "scope": both}, auth=("c", "s")),
        400,
        "invalid_scope",
        "Scopes of more than one resource were requested; add "
        '"urn:opc:resource:multiresourcescope" to get one access token per resource.',
    )
    body = token_for(
        server, auth=("c", "s"), grant_type="client_credentials", scope=f"{both} urn:opc:resource:multiresourcescope"
    )
    assert set(body) == {"tokenResponses"}
    first, second = body["tokenResponses"]
    assert verify(server, first["access_token"], audience=ORDERS)["scope"] == "read"
    assert verify(server, second["access_token"], audience="https://billing.example.com/")["scope"] == "pay"
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3600


def test_unknown_scope(idp: MockIdP):
    assert_error(
        post_token(idp, {"grant_type": "client_credentials", "scope": "https://nowhere.example.com/x"}),
        400,
        "invalid_scope",
        'The scope "https://nowhere.example.com/x" is not defined in this identity '
        "domain. A resource scope is its audience followed by its value, e.g. "
        '"https://api.example.com/read".',
    )


def test_missing_scope(idp: MockIdP):
    body = assert_error(post_token(idp, {"grant_type": "client_credentials"}), 400, "invalid_request")
    assert body["error_description"].startswith("The scope parameter is missing")


def test_fixture_claims_are_added(serve_fixtures):
    server = serve_fixtures(
        **{
            "c.toml": '[[clients]]\nclient_id = "c"\nclient_secret = "s"\n'
            'app_roles = ["Authenticated Client"]\nclaims = { team = "blue", level = 3 }\n'
        }
    )
    token = token_for(server, auth=("c", "s"), grant_type="client_credentials", scope="urn:opc:idm:__myscopes__")[
        "access_token"
    ]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["team"] == "blue" and claims["level"] == 3
