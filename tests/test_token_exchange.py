"""Token exchange: to an OCI UPST through the real OCI SDK's TokenExchangeSigner, and to an access token;
subject tokens trusted through [[trusts]]; every wrong request with its error."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm
from oci._vendor import requests as oci_requests
from oci.auth.signers import TokenExchangeSigner
from s2s_support import (
    ALICE,
    API,
    CI_ISSUER,
    KEY_CLIENT,
    KEY_CLIENT_SECRET,
    OTHER_CLIENT,
    OTHER_SECRET,
    SERVICE_USER,
    Keys,
    claims,
    make_keys,
    new_key,
    write_fixture_dir,
)

from mockidp.testing import MockIdP

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
UPST = "urn:oci:token-type:oci-upst"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
TENANT = "idcs-5e2a7c1d9b8f4e3a6c0d1b2e3f4a5b6c"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return make_keys()


@pytest.fixture(scope="module")
def idp(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_fixture_dir(tmp_path_factory.mktemp("s2s"), keys)) as server:
        yield server


def ci_token(keys: Keys, **more: object) -> str:
    return keys.ci.sign(
        claims(CI_ISSUER, "repo:acme/app", "mockidp", repository="acme/app", ref="refs/heads/main", **more)
    )


def verified(idp: MockIdP, token: str) -> dict:
    key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})


def test_oci_sdk_token_exchange_signer_gets_a_upst(idp: MockIdP, keys: Keys) -> None:
    signer = TokenExchangeSigner(ci_token(keys), idp.url, KEY_CLIENT, KEY_CLIENT_SECRET)
    upst = signer.security_token_container.security_token
    claims_ = verified(idp, upst)
    assert claims_["sub"] == SERVICE_USER
    assert claims_["ptype"] == "user"
    assert claims_["tenant"] == TENANT
    assert claims_["iss"] == "https://identity.oraclecloud.com/"
    assert claims_["exp"] - claims_["iat"] == 3600
    assert claims_["sess_exp"] == claims_["exp"]
    # The UPST is bound to the session key the SDK generated and signs requests with.
    session_public = signer.session_key_supplier.get_key_pair()["public"]
    assert RSAAlgorithm.from_jwk(claims_["jwk"]).public_numbers() == session_public.public_numbers()
    assert signer.security_token_container.valid()
    # And the SDK signs OCI requests with it: keyId "ST$<upst>".
    request = oci_requests.Request("GET", "https://objectstorage.us-ashburn-1.oraclecloud.com/n/").prepare()
    signed = signer(request)
    assert f'keyId="ST${upst}"' in signed.headers["authorization"]


def test_oci_sdk_refresh_gets_a_new_upst_for_a_new_key(idp: MockIdP, keys: Keys) -> None:
    signer = TokenExchangeSigner(lambda: ci_token(keys), idp.url, KEY_CLIENT, KEY_CLIENT_SECRET)
    first = signer.security_token_container.security_token
    second = signer.refresh_security_token()
    assert first != second
    session_public = signer.session_key_supplier.get_key_pair()["public"]
    assert RSAAlgorithm.from_jwk(verified(idp, second)["jwk"]).public_numbers() == session_public.public_numbers()


def test_oci_sdk_with_an_untrusted_token_raises(idp: MockIdP, keys: Keys) -> None:
    with pytest.raises(oci_requests.exceptions.HTTPError) as raised:
        TokenExchangeSigner(
            keys.stranger.sign(claims("https://nope.example.com", "x", "y")), idp.url, KEY_CLIENT, KEY_CLIENT_SECRET
        )
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == "invalid_grant"


def der_b64(key: object) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def public_key_b64() -> str:
    return der_b64(new_key().public_key())


def exchange(idp: MockIdP, auth: tuple[str, str] = (KEY_CLIENT, KEY_CLIENT_SECRET), **data: str) -> requests.Response:
    return requests.post(idp.token_url, data={"grant_type": EXCHANGE, **data}, auth=auth, timeout=10)


def test_exchange_for_an_access_token(idp: MockIdP, keys: Keys) -> None:
    response = exchange(
        idp,
        subject_token=ci_token(keys),
        subject_token_type="urn:ietf:params:oauth:token-type:jwt",
        requested_token_type=ACCESS_TOKEN,
        scope=f"{API}read",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN
    assert body["token_type"] == "Bearer"
    token = verified(idp, body["access_token"])
    assert (token["sub"], token["gtp"], token["aud"], token["scope"]) == (SERVICE_USER, "te", API, "read")


def test_exchange_own_access_token_through_the_self_trust(idp: MockIdP) -> None:
    signed_in = requests.post(
        idp.token_url,
        data={"grant_type": "password", "username": ALICE, "password": "Welcome1!", "scope": "openid"},
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    ).json()
    for token in (signed_in["access_token"], signed_in["id_token"]):
        response = exchange(
            idp, subject_token=token, subject_token_type="jwt", requested_token_type=UPST, public_key=public_key_b64()
        )
        assert response.status_code == 200, response.text
        assert list(response.json()) == ["token"]
        assert verified(idp, response.json()["token"])["sub"] == ALICE
    refused = exchange(
        idp,
        auth=(OTHER_CLIENT, OTHER_SECRET),
        subject_token=signed_in["access_token"],
        subject_token_type="jwt",
        requested_token_type=UPST,
        public_key=public_key_b64(),
    )
    assert refused.json()["error_description"] == (
        f"Client {OTHER_CLIENT} may not use trust 'This domain'; it is limited to clients {KEY_CLIENT}."
    )


def test_every_wrong_exchange(idp: MockIdP, keys: Keys) -> None:
    good = {"subject_token": ci_token(keys), "subject_token_type": "jwt", "requested_token_type": UPST}
    pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"
    ec_key = der_b64(ec.generate_private_key(ec.SECP256R1()).public_key())
    small_key = der_b64(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    cases = [
        (
            {**good, "public_key": public_key_b64(), "requested_token_type": "urn:x"},
            "invalid_request",
            f"requested_token_type 'urn:x' is not supported; use {UPST} or {ACCESS_TOKEN}.",
        ),
        (
            {**good, "public_key": public_key_b64(), "subject_token_type": "saml"},
            "invalid_request",
            "subject_token_type 'saml' is not supported; use jwt, urn:ietf:params:oauth:token-type:jwt, "
            "urn:ietf:params:oauth:token-type:access_token, urn:ietf:params:oauth:token-type:id_token.",
        ),
        (good, "invalid_request", f"The public_key parameter is required for grant_type {EXCHANGE}."),
        (
            {**good, "public_key": pem},
            "invalid_request",
            "public_key must be the base64 DER of the public key (SubjectPublicKeyInfo) without the "
            "-----BEGIN/END PUBLIC KEY----- lines, as the OCI SDK sends it.",
        ),
        (
            {**good, "public_key": "bm90IGEga2V5"},
            "invalid_request",
            "public_key is not a base64-encoded DER public key (SubjectPublicKeyInfo).",
        ),
        ({**good, "public_key": ec_key}, "invalid_request", "public_key must be an RSA public key."),
        (
            {**good, "public_key": small_key},
            "invalid_request",
            "public_key is a 1024-bit RSA key; at least 2048 bits are needed.",
        ),
        (
            {
                **good,
                "public_key": public_key_b64(),
                "subject_token": keys.stranger.sign(claims(CI_ISSUER, "x", "mockidp"), {"kid": "nope"}),
            },
            "invalid_grant",
            "Unknown key: the subject_token is signed by a key that trust 'CI pipelines' does not have: "
            "no known key matches kid 'nope' (known: kid 'ci-2024').",
        ),
        (
            {
                **good,
                "public_key": public_key_b64(),
                "subject_token": keys.stranger.sign(claims(CI_ISSUER, "x", "mockidp"), {"kid": "ci-2024"}),
            },
            "invalid_grant",
            "Bad signature: the subject_token does not verify with trust 'CI pipelines''s key (kid 'ci-2024').",
        ),
        (
            {**good, "public_key": public_key_b64(), "subject_token": ci_token(keys, exp=1)},
            "invalid_grant",
            "Expired: the subject_token expired at 1970-01-01T00:00:01Z",
        ),
        (
            {**good, "public_key": public_key_b64(), "subject_token": "garbage"},
            "invalid_grant",
            "The subject_token is not a JWT (three base64url parts: header.claims.signature).",
        ),
    ]
    for data, error, description in cases:
        response = exchange(idp, **data)
        assert response.status_code == 400, (description, response.text)
        assert response.json()["error"] == error, response.json()
        assert response.json()["error_description"].startswith(description), response.json()


def test_client_needs_the_token_exchange_grant(
    idp: MockIdP, keys: Keys, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = write_fixture_dir(tmp_path_factory.mktemp("no-te"), keys)
    text = (directory / "domain.toml").read_text().replace('"token_exchange", ', "")
    (directory / "domain.toml").write_text(text)
    with MockIdP(directory) as server:
        response = exchange(server, subject_token=ci_token(keys), subject_token_type="jwt", public_key=public_key_b64())
    assert response.status_code == 400
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "Client authorization failed.",
        "ecid": response.headers["X-ORACLE-DMS-ECID"],
    }


def test_upst_claims_are_exactly_the_documented_set(idp: MockIdP, keys: Keys) -> None:
    response = exchange(
        idp,
        **{
            "subject_token": ci_token(keys),
            "subject_token_type": "jwt",
            "requested_token_type": UPST,
            "public_key": public_key_b64(),
        },
    )
    token = response.json()["token"]
    assert jwt.get_unverified_header(token)["kid"] == "SIGNING_KEY"
    upst = verified(idp, token)
    assert set(upst) == {"sub", "iss", "ptype", "tenant", "client_id", "iat", "exp", "sess_exp", "jti", "jwk"}
    assert json.loads(upst["jwk"])["kty"] == "RSA"
