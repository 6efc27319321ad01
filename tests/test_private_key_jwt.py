"""private_key_jwt client authentication: Authlib's PrivateKeyJWT and hand-made PyJWT assertions, over real HTTP,
and every way an assertion can be wrong with the exact invalid_client description."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from s2s_support import (
    API,
    CERT_CLIENT,
    JWKS_CLIENT,
    KEY_CLIENT,
    KEY_CLIENT_SECRET,
    OTHER_CLIENT,
    Keys,
    claims,
    make_keys,
    write_fixture_dir,
)

from mockidp.testing import ControlPlaneError, MockIdP

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return make_keys()


@pytest.fixture(scope="module")
def idp(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_fixture_dir(tmp_path_factory.mktemp("s2s"), keys)) as server:
        yield server


def post_assertion(idp: MockIdP, assertion: str, **extra: str) -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "scope": f"{API}read",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }
    return requests.post(idp.token_url, data=data, timeout=10)


def verified_access_token(idp: MockIdP, response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    jwks = jwt.PyJWKClient(idp.jwks_url)
    token = response.json()["access_token"]
    return jwt.decode(token, jwks.get_signing_key_from_jwt(token), algorithms=["RS256"], audience=API)


def test_authlib_private_key_jwt_gets_a_token(idp: MockIdP, keys: Keys) -> None:
    auth = PrivateKeyJWT(idp.token_url, headers={"kid": keys.key_client.kid})
    session = OAuth2Session(KEY_CLIENT, keys.key_client.pem, token_endpoint_auth_method=auth, scope=f"{API}read")
    token = session.fetch_token(idp.token_url, grant_type="client_credentials")
    claims_ = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims_["sub"] == KEY_CLIENT
    assert claims_["sub_type"] == "client"
    assert claims_["scope"] == "read"


def test_authlib_assertion_at_introspection(idp: MockIdP, keys: Keys) -> None:
    auth = PrivateKeyJWT(idp.token_url, headers={"kid": keys.key_client.kid})
    session = OAuth2Session(KEY_CLIENT, keys.key_client.pem, token_endpoint_auth_method=auth, scope=f"{API}read")
    token = session.fetch_token(idp.token_url, grant_type="client_credentials")
    introspect_auth = PrivateKeyJWT(idp.introspect_url, headers={"kid": keys.key_client.kid})
    session = OAuth2Session(KEY_CLIENT, keys.key_client.pem, token_endpoint_auth_method=introspect_auth)
    answer = session.introspect_token(idp.introspect_url, token=token["access_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is True


def test_jwks_client_each_key_by_kid(idp: MockIdP, keys: Keys) -> None:
    for signer in (keys.jwks_a, keys.jwks_b):
        response = post_assertion(idp, signer.sign(claims(JWKS_CLIENT, JWKS_CLIENT, idp.token_url)))
        assert verified_access_token(idp, response)["client_id"] == JWKS_CLIENT


def test_certificate_client_by_x5t_and_issuer_audience(idp: MockIdP, keys: Keys) -> None:
    assertion = keys.cert_client.sign(claims(CERT_CLIENT, CERT_CLIENT, ["https://identity.oraclecloud.com/"]))
    assert verified_access_token(idp, post_assertion(idp, assertion))["client_id"] == CERT_CLIENT


def test_client_id_parameter_may_accompany_the_assertion(idp: MockIdP, keys: Keys) -> None:
    assertion = keys.jwks_a.sign(claims(JWKS_CLIENT, JWKS_CLIENT, idp.token_url))
    assert post_assertion(idp, assertion, client_id=JWKS_CLIENT).status_code == 200


def expect_invalid_client(response: requests.Response, description: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"] == description
    assert body["ecid"] == response.headers["X-ORACLE-DMS-ECID"]


def test_replayed_jti_is_refused(idp: MockIdP, keys: Keys) -> None:
    assertion = keys.jwks_a.sign(claims(JWKS_CLIENT, JWKS_CLIENT, idp.token_url, jti="once-only"))
    assert post_assertion(idp, assertion).status_code == 200
    expect_invalid_client(
        post_assertion(idp, assertion),
        "Replayed jti: the client_assertion jti 'once-only' was already used; "
        "make a new assertion (with a new jti) for every request.",
    )


def test_every_wrong_assertion(idp: MockIdP, keys: Keys) -> None:
    aud = idp.token_url
    ok = claims(JWKS_CLIENT, JWKS_CLIENT, aud)
    now = int(time.time())
    cases = {
        "Bad signature: the client_assertion does not verify with client "
        f"{JWKS_CLIENT}'s key (kid 'key-a').": keys.stranger.sign(ok),
        "Unknown key: the client_assertion is signed by a key that client "
        f"{JWKS_CLIENT} does not have: no known key matches kid 'key-z' (known: kid 'key-a', kid 'key-b').": (
            keys.jwks_a.sign(ok, {"kid": "key-z"})
        ),
        "Unknown key: the client_assertion is signed by a key that client "
        f"{JWKS_CLIENT} does not have: the JWT header names no key: put the key's kid "
        "(or its certificate's x5t) in the header.": keys.jwks_a.sign(ok, {}),
        "Wrong aud: the client_assertion's aud must contain 'https://identity.oraclecloud.com/' or "
        f"'{idp.url}/oauth2/v1/token' or '{idp.url}/oauth2/v1/introspect' or '{idp.url}/oauth2/v1/revoke'; "
        "got 'https://elsewhere.example.com/token'.": keys.jwks_a.sign(
            claims(JWKS_CLIENT, JWKS_CLIENT, "https://elsewhere.example.com/token")
        ),
        "Expired: the client_assertion expired at": keys.jwks_a.sign({**ok, "iat": now - 600, "exp": now - 300}),
        "Missing exp: the client_assertion must have an exp claim.": keys.jwks_a.sign(
            {k: v for k, v in ok.items() if k != "exp"}
        ),
        "Missing jti: the client_assertion must have a jti claim, unique for each assertion.": keys.jwks_a.sign(
            {k: v for k, v in ok.items() if k != "jti"}
        ),
        "The client_assertion expires at": keys.jwks_a.sign({**ok, "exp": now + 7200}),
        "The client_assertion is not valid yet: its nbf is": keys.jwks_a.sign({**ok, "nbf": now + 600}),
        "The client_assertion must have iss = sub = client_id; got iss "
        f"'{JWKS_CLIENT}', sub 'someone-else'.": keys.jwks_a.sign({**ok, "sub": "someone-else"}),
        "The client_assertion's iss 'no-such-client' is not a client of this identity domain.": keys.jwks_a.sign(
            {**ok, "iss": "no-such-client", "sub": "no-such-client"}
        ),
        f"Client {OTHER_CLIENT} has no public_key or jwks in its fixture, so it cannot use private_key_jwt.": (
            keys.jwks_a.sign({**ok, "iss": OTHER_CLIENT, "sub": OTHER_CLIENT})
        ),
        "The client_assertion must be signed with RS256, not 'HS256'.": jwt.encode(ok, "s" * 32, algorithm="HS256"),
        "The client_assertion is not a JWT (three base64url parts: header.claims.signature).": "not-a-jwt",
        "Unknown key: the client_assertion is signed by a key that client "
        f"{CERT_CLIENT} does not have: no known key matches kid 'whatever', x5t 'AAAA' "
        f"(known: the certificate with x5t {keys.cert_client.x5t!r}).": keys.cert_client.sign(
            {**ok, "iss": CERT_CLIENT, "sub": CERT_CLIENT}, {"x5t": "AAAA", "kid": "whatever"}
        ),
    }
    for description, assertion in cases.items():
        response = post_assertion(idp, assertion)
        assert response.status_code == 401, (description, response.text)
        assert response.json()["error"] == "invalid_client"
        assert response.json()["error_description"].startswith(description), response.json()


def test_wrong_assertion_type_and_mixed_methods(idp: MockIdP, keys: Keys) -> None:
    assertion = keys.jwks_a.sign(claims(JWKS_CLIENT, JWKS_CLIENT, idp.token_url))
    expect_invalid_client(
        post_assertion(idp, assertion, client_assertion_type="jwt"),
        f"client_assertion_type must be {ASSERTION_TYPE}, got 'jwt'.",
    )
    expect_invalid_client(
        requests.post(
            idp.token_url,
            data={"grant_type": "client_credentials", "scope": f"{API}read", "client_assertion_type": ASSERTION_TYPE},
            timeout=10,
        ),
        "The client_assertion parameter is missing or empty.",
    )
    response = post_assertion(idp, assertion, client_id=KEY_CLIENT)
    expect_invalid_client(
        response, f"The client_id parameter ({KEY_CLIENT!r}) differs from the client_assertion's iss ({JWKS_CLIENT!r})."
    )
    both = requests.post(
        idp.token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    )
    assert both.status_code == 400
    assert both.json()["error_description"] == (
        "Use one client authentication method: the request has both an Authorization header and client_assertion."
    )


def test_assertion_expires_when_the_domain_clock_moves(keys: Keys, tmp_path: Path) -> None:
    with MockIdP(write_fixture_dir(tmp_path, keys)) as server:
        assert server.domain is not None
        server.domain.clock.advance(400)
        response = post_assertion(server, keys.jwks_a.sign(claims(JWKS_CLIENT, JWKS_CLIENT, server.token_url)))
        assert response.status_code == 401
        assert response.json()["error_description"].startswith("Expired: the client_assertion expired at")


def test_client_added_at_run_time_with_a_jwks_file(keys: Keys, tmp_path: Path) -> None:
    with MockIdP(write_fixture_dir(tmp_path, keys)) as server:
        runtime_client = "9f9e9d9c9b9a49988776655443322119"
        server.add_client(
            runtime_client,
            jwks="jwks-client.json",
            grant_types=["client_credentials"],
            app_roles=["Authenticated Client"],
        )
        assertion = keys.jwks_b.sign(claims(runtime_client, runtime_client, server.token_url))
        response = post_assertion(server, assertion, scope="urn:opc:idm:__myscopes__")
        assert response.status_code == 200, response.text
        with pytest.raises(ControlPlaneError) as refused:
            server.add_client("another", public_key="missing.pem", grant_types=["client_credentials"])
        assert refused.value.problems == [f"body: client.public_key: no such file 'missing.pem' in {tmp_path}"]
