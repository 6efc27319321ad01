"""The jwt-bearer grant with user assertions signed by the client, by a trusted issuer, and by the domain
itself (its own ID tokens); every wrong assertion with its invalid_grant description."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest
import requests
from s2s_support import (
    ALICE,
    API,
    CI_ISSUER,
    EMAIL_USER,
    JWKS_CLIENT,
    KEY_CLIENT,
    KEY_CLIENT_SECRET,
    OTHER_CLIENT,
    OTHER_SECRET,
    PARTNER_ISSUER,
    SERVICE_USER,
    Keys,
    claims,
    make_keys,
    write_fixture_dir,
)

from mockidp.testing import MockIdP

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ISSUER = "https://identity.oraclecloud.com/"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return make_keys()


@pytest.fixture(scope="module")
def idp(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_fixture_dir(tmp_path_factory.mktemp("s2s"), keys)) as server:
        yield server


def bearer(
    idp: MockIdP, assertion: str, *, scope: str = "openid", auth: tuple[str, str] | None = None
) -> requests.Response:
    return requests.post(
        idp.token_url,
        data={"grant_type": JWT_BEARER, "assertion": assertion, "scope": scope},
        auth=auth or (KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    )


def user_of(idp: MockIdP, response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})


def test_assertion_signed_by_the_client(idp: MockIdP, keys: Keys) -> None:
    response = bearer(idp, keys.key_client.sign(claims(KEY_CLIENT, ALICE, ISSUER)), scope=f"openid {API}read")
    token = user_of(idp, response)
    assert (token["sub"], token["sub_type"], token["gtp"], token["scope"]) == (ALICE, "user", "jwt", "read openid")
    assert "id_token" in response.json()


def test_assertion_with_the_token_url_as_audience(idp: MockIdP, keys: Keys) -> None:
    assert user_of(idp, bearer(idp, keys.key_client.sign(claims(KEY_CLIENT, ALICE, [idp.token_url]))))["sub"] == ALICE


def test_assertion_of_a_client_authenticated_by_private_key_jwt(idp: MockIdP, keys: Keys) -> None:
    client_assertion = keys.jwks_a.sign(claims(JWKS_CLIENT, JWKS_CLIENT, idp.token_url))
    response = requests.post(
        idp.token_url,
        data={
            "grant_type": JWT_BEARER,
            "assertion": keys.jwks_b.sign(claims(JWKS_CLIENT, ALICE, ISSUER)),
            "scope": "openid",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion,
        },
        timeout=10,
    )
    assert user_of(idp, response)["client_id"] == JWKS_CLIENT


def test_own_id_token_as_assertion(idp: MockIdP) -> None:
    signed_in = requests.post(
        idp.token_url,
        data={"grant_type": "password", "username": ALICE, "password": "Welcome1!", "scope": "openid"},
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    token = user_of(idp, bearer(idp, signed_in.json()["id_token"], auth=(OTHER_CLIENT, OTHER_SECRET)))
    assert (token["sub"], token["client_id"], token["gtp"]) == (ALICE, OTHER_CLIENT, "jwt")


def test_own_access_token_is_not_an_assertion(idp: MockIdP) -> None:
    signed_in = requests.post(
        idp.token_url,
        data={"grant_type": "password", "username": ALICE, "password": "Welcome1!", "scope": "openid"},
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    )
    response = bearer(idp, signed_in.json()["access_token"])
    assert response.status_code == 400
    assert response.json()["error_description"] == (
        "The assertion is not a valid ID token of this identity domain: The token is not an ID token (tok_type 'AT')."
    )


def test_trusted_issuer_with_impersonation(idp: MockIdP, keys: Keys) -> None:
    ci = keys.ci.sign(claims(CI_ISSUER, "repo:acme/app", "mockidp", repository="acme/app", ref="refs/heads/main"))
    assert user_of(idp, bearer(idp, ci))["sub"] == SERVICE_USER


def test_trusted_issuer_mapping_by_email(idp: MockIdP, keys: Keys) -> None:
    partner = keys.partner.sign(claims(PARTNER_ISSUER, "external-42", "anything", email=EMAIL_USER))
    assert user_of(idp, bearer(idp, partner, auth=(OTHER_CLIENT, OTHER_SECRET)))["sub"] == "carol"


def test_every_wrong_user_assertion(idp: MockIdP, keys: Keys) -> None:
    now = int(time.time())
    ok = claims(KEY_CLIENT, ALICE, ISSUER)
    ci_ok = claims(CI_ISSUER, "repo:acme/app", "mockidp", repository="acme/app", ref="refs/heads/main")
    cases = [
        (keys.stranger.sign(ok), None, f"Bad signature: the assertion does not verify with client {KEY_CLIENT}'s key"),
        (keys.key_client.sign({**ok, "exp": now - 10}), None, "Expired: the assertion expired at"),
        (keys.key_client.sign({k: v for k, v in ok.items() if k != "exp"}), None, "Missing exp: the assertion must"),
        (
            keys.key_client.sign({**ok, "aud": "https://other.example.com"}),
            None,
            f"Wrong aud: the assertion's aud must contain '{ISSUER}' or '{idp.url}/oauth2/v1/token'",
        ),
        (
            keys.key_client.sign({**ok, "sub": "nobody"}),
            None,
            "The assertion's sub 'nobody' is not a user of this identity domain.",
        ),
        (
            keys.stranger.sign({**ok, "iss": "https://unknown.example.com"}),
            None,
            "Untrusted issuer: no [[trusts]] entry has issuer 'https://unknown.example.com' (trusted issuers: "
            f"'{CI_ISSUER}', '{PARTNER_ISSUER}', '{ISSUER}').",
        ),
        (
            keys.ci.sign(ci_ok),
            (OTHER_CLIENT, OTHER_SECRET),
            f"Client {OTHER_CLIENT} may not use trust 'CI pipelines'; it is limited to clients {KEY_CLIENT}, "
            f"{JWKS_CLIENT}.",
        ),
        (
            keys.ci.sign({**ci_ok, "ref": "refs/tags/v1"}),
            None,
            "No impersonation rule of trust 'CI pipelines' matches the assertion (rules: "
            "\"repository eq 'acme/app' and ref sw 'refs/heads/'\").",
        ),
        (
            keys.ci.sign({**ci_ok, "aud": "someone-else"}),
            None,
            "The assertion's aud claim ('someone-else') is not one of trust 'CI pipelines'"
            "'s client_claim_values (mockidp).",
        ),
        (
            keys.partner.sign(claims(PARTNER_ISSUER, "x", "y", email="nobody@example.com")),
            None,
            "The assertion's email claim is 'nobody@example.com', but no user of this identity domain has that email.",
        ),
        (
            keys.partner.sign(claims(PARTNER_ISSUER, "x", "y")),
            None,
            "The assertion has no email claim naming the user.",
        ),
        ("a.b.c", None, "The assertion is not a JWT"),
    ]
    for assertion, auth, description in cases:
        response = bearer(idp, assertion, auth=auth)
        assert response.status_code == 400, (description, response.text)
        body = response.json()
        assert body["error"] == "invalid_grant", body
        assert body["error_description"].startswith(description), body


def test_assertion_is_required(idp: MockIdP) -> None:
    response = requests.post(
        idp.token_url,
        data={"grant_type": JWT_BEARER, "scope": "openid"},
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == f"The assertion parameter is required for grant_type {JWT_BEARER}."
