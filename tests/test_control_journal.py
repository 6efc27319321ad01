"""The request journal: what clients sent, with secrets and tokens redacted."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session
from conftest import PASSWORD, PUBLIC_CLIENT_ID, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER

from mockidp.core import journal
from mockidp.core.stores.memory import MemoryStore
from mockidp.testing import MockIdP

SEED_AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)


def test_the_journal_says_how_a_client_authenticated(mockidp: MockIdP) -> None:
    data = {"grant_type": "client_credentials", "scope": "https://orders.example.com/read"}
    requests.post(mockidp.token_url, data=data, auth=SEED_AUTH, timeout=10)
    requests.post(
        mockidp.token_url,
        data={**data, "client_id": SEED_CLIENT_ID, "client_secret": SEED_CLIENT_SECRET},
        timeout=10,
    )
    requests.post(mockidp.token_url, data={**data, "client_id": PUBLIC_CLIENT_ID}, timeout=10)
    entries = mockidp.requests("token")
    assert [(e.auth_method, e.client_id, e.status) for e in entries] == [
        ("client_secret_basic", SEED_CLIENT_ID, 200),
        ("client_secret_post", SEED_CLIENT_ID, 200),
        ("none", PUBLIC_CLIENT_ID, 400),
    ]
    assert entries[0].grant_type == "client_credentials"
    assert entries[0].scopes == ("https://orders.example.com/read",)
    assert (entries[2].error, entries[2].reason) == (
        "unauthorized_client",
        f"client {PUBLIC_CLIENT_ID} is not allowed grant type 'client_credentials'; its grant_types are "
        "authorization_code, refresh_token, implicit",
    )


def test_no_secret_and_no_whole_token_in_the_journal(mockidp: MockIdP) -> None:
    oauth = OAuth2Session(
        SEED_CLIENT_ID,
        SEED_CLIENT_SECRET,
        scope="openid offline_access",
        token_endpoint_auth_method="client_secret_post",
    )
    token = oauth.fetch_token(mockidp.token_url, username=SEED_USER, password=PASSWORD, grant_type="password")
    oauth.refresh_token(mockidp.token_url, refresh_token=token["refresh_token"])
    requests.get(mockidp.userinfo_url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    requests.get(mockidp.userinfo_url, params={"access_token": token["access_token"]}, timeout=10)
    requests.post(mockidp.introspect_url, data={"token": token["access_token"]}, auth=SEED_AUTH, timeout=10)
    requests.post(mockidp.revoke_url, data={"token": token["refresh_token"]}, auth=SEED_AUTH, timeout=10)

    raw = requests.get(mockidp.control_url + "/requests", timeout=10).text
    basic = base64.b64encode(f"{SEED_CLIENT_ID}:{SEED_CLIENT_SECRET}".encode()).decode()
    for secret in (
        SEED_CLIENT_SECRET,
        PASSWORD,
        basic,
        token["access_token"],
        token["refresh_token"],
        token["id_token"],
    ):
        assert secret not in raw
    for part in token["access_token"].split(".")[:2]:  # nor the header or claims of a token
        assert part not in raw

    entries = mockidp.requests()
    assert [e.endpoint for e in entries] == ["token", "token", "userinfo", "userinfo", "introspect", "revoke"]
    assert entries[0].params["password"] == "[redacted]"
    assert entries[0].params["client_secret"] == "[redacted]"
    assert entries[0].user == SEED_USER
    assert entries[1].params["refresh_token"] == f"[redacted …{token['refresh_token'][-6:]}]"
    assert entries[2].authorization == "Bearer"
    assert (entries[2].client_id, entries[2].user) == (SEED_CLIENT_ID, SEED_USER)  # read from the bearer token
    assert entries[3].params["access_token"].startswith("[redacted")


def test_the_journal_keeps_the_pkce_method_of_an_authorization_request(mockidp: MockIdP) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": PUBLIC_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": "http://localhost:3000/callback",
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    requests.get(mockidp.authorize_url, params=query, allow_redirects=False, timeout=10)
    requests.get(
        mockidp.authorize_url, params={**query, "code_challenge_method": "plain"}, allow_redirects=False, timeout=10
    )
    del query["code_challenge_method"]
    requests.get(mockidp.authorize_url, params=query, allow_redirects=False, timeout=10)
    del query["code_challenge"]
    requests.get(mockidp.authorize_url, params=query, allow_redirects=False, timeout=10)
    assert [e.pkce_method for e in mockidp.requests("authorize")] == ["S256", "plain", "plain", None]
    assert mockidp.requests("authorize")[0].client_id == PUBLIC_CLIENT_ID


def test_the_journal_filters_and_clears(mockidp: MockIdP) -> None:
    requests.get(mockidp.jwks_url, timeout=10)
    requests.get(mockidp.discovery_url, timeout=10)
    requests.post(mockidp.token_url, data={"grant_type": "client_credentials"}, auth=SEED_AUTH, timeout=10)
    requests.get(mockidp.url + "/oauth2/v1/tokens", timeout=10)  # a wrong path is worth seeing too
    assert [e.endpoint for e in mockidp.requests()] == ["jwks", "discovery", "token", "other"]
    assert mockidp.requests()[-1].status == 404
    assert [e.endpoint for e in mockidp.requests(client_id=SEED_CLIENT_ID)] == ["token"]
    assert [e.endpoint for e in mockidp.requests(limit=2)] == ["token", "other"]
    mockidp.clear_requests()
    assert mockidp.requests() == []
    bad = requests.get(mockidp.control_url + "/requests", params={"endpoint": "tokens"}, timeout=10)
    assert bad.status_code == 400 and "endpoint: must be one of" in bad.json()["error_description"]


def test_the_journal_keeps_the_last_entries_only() -> None:
    store = MemoryStore()
    for number in range(1, 8):
        journal.record(store, {"endpoint": "token", "client_id": None, "n": number}, limit=5)
    assert [e["n"] for e in journal.entries(store)] == [3, 4, 5, 6, 7]


def test_redaction_rules() -> None:
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    assert journal.redact("client_secret", "s") == "[redacted]"
    assert journal.redact("code_verifier", "v" * 50) == "[redacted]"
    assert journal.redact("custom_param", jwt_like) == f"[redacted …{jwt_like[-6:]}]"
    assert journal.redact("state", "abc") == "abc"
    assert journal.redact("note", "x" * 500) == "x" * 200 + "…"
    # two dots do not make a JWT: a scope of URLs (or a sentence) is kept as sent
    scope = "https://orders.example.com/read offline_access"
    assert journal.redact("scope", scope) == scope
    assert journal.redact("resource", "https://api.example.com/v1.2/x") == "https://api.example.com/v1.2/x"


def test_the_journal_is_json_in_the_store() -> None:
    store = MemoryStore()
    journal.record(
        store,
        journal.entry(
            time=1.0,
            method="POST",
            path="/oauth2/v1/token",
            endpoint="token",
            params={"grant_type": "password", "password": "p"},
            authorization="Basic eDp5",
            status=200,
            outcome=None,
        ),
    )
    (item,) = journal.entries(store)
    assert json.loads(json.dumps(item)) == item
    assert (item["client_id"], item["auth_method"], item["params"]["password"]) == (
        "x",
        "client_secret_basic",
        "[redacted]",
    )
