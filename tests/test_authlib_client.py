"""A real OAuth client library against the browser flows: Authlib's `OAuth2Session` does authorization code +
PKCE (S256) and a refresh, with discovery; the user signs in by a script posting the sign-in form."""

from __future__ import annotations

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken

from tests.flows import ALICE, BOB, CALLBACK, SPA, SPA_CALLBACK, WEBAPP, WEBAPP_SECRET, decode, sign_in


def browse_to_callback(authorization_url: str, user: str) -> str:
    """What the user's browser does: the authorize URL, the sign-in page, then the redirect to the client."""
    browser = requests.Session()
    page = browser.get(authorization_url)
    response = sign_in(browser, page, user)
    assert response.status_code == 302, response.text[:300]
    return response.headers["location"]


def test_code_with_pkce_then_refresh(flow_idp):
    metadata = requests.get(flow_idp.discovery_url).json()
    client = OAuth2Session(
        WEBAPP,
        WEBAPP_SECRET,
        scope="openid profile email offline_access",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = "v" * 20 + "-" + "w" * 40
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce="nonce-1"
    )
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    callback = browse_to_callback(url, ALICE)

    token = client.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert token["token_type"] == "Bearer"
    claims = decode(flow_idp, token["id_token"])
    CodeIDToken(
        claims,
        {"alg": "RS256"},
        {"aud": {"essential": True, "value": WEBAPP}},
        {"nonce": "nonce-1", "client_id": WEBAPP, "access_token": token["access_token"]},
    ).validate(now=int(flow_idp.domain.clock.now()))
    assert claims["sub"] == ALICE

    userinfo = client.get(flow_idp.userinfo_url)
    assert userinfo.status_code == 200
    assert userinfo.json()["email"] == ALICE

    refreshed = client.refresh_token(flow_idp.token_url)
    assert refreshed["access_token"] != token["access_token"]
    assert client.get(flow_idp.userinfo_url).json()["sub"] == ALICE


def test_public_client_code_with_pkce(flow_idp):
    client = OAuth2Session(
        SPA,
        scope="openid offline_access",
        redirect_uri=SPA_CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = "x" * 64
    url, _ = client.create_authorization_url(flow_idp.authorize_url, code_verifier=verifier)
    token = client.fetch_token(
        flow_idp.token_url, authorization_response=browse_to_callback(url, BOB), code_verifier=verifier
    )
    assert decode(flow_idp, token["access_token"])["sub"] == BOB
    assert "refresh_token" in token
    assert client.refresh_token(flow_idp.token_url)["token_type"] == "Bearer"


def test_worked_example_my_client_uses_pkce_s256(mockidp):
    """docs/testing.md, "My client uses PKCE S256": a real Authlib public client on the default fixtures, then the
    journal proves what it sent."""
    spa, callback = "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f", "http://localhost:3000/callback"
    client = OAuth2Session(
        spa, scope="openid", redirect_uri=callback, code_challenge_method="S256", token_endpoint_auth_method="none"
    )
    verifier = "s" * 64
    url, _ = client.create_authorization_url(mockidp.authorize_url, code_verifier=verifier)
    client.fetch_token(
        mockidp.token_url, authorization_response=browse_to_callback(url, "user@example.com"), code_verifier=verifier
    )

    (authorize,) = mockidp.requests("authorize")
    assert authorize.pkce_method == "S256"
    assert [e.endpoint for e in mockidp.requests()] == ["authorize", "signin", "signin", "token"]
    (token,) = mockidp.requests("token")
    assert token.grant_type == "authorization_code" and token.status == 200
    assert token.params["code_verifier"] == "[redacted]"
    assert token.auth_method == "none"
