"""Tokens minted through the control plane: exactly what the domain issues, or defective in the way asked,
and refused by PyJWT with the exception that names the defect."""

from __future__ import annotations

import hashlib
import hmac

import jwt
import pytest
import requests
from conftest import ORDERS, PUBLIC_CLIENT_ID, SEED_CLIENT_ID, SEED_USER
from cryptography.hazmat.primitives import serialization
from jwt.utils import base64url_decode

from mockidp.testing import ControlPlaneError, MockIdP

ISSUER = "https://identity.oraclecloud.com/"


def verify(idp: MockIdP, token: str, audience: str | list[str] = ORDERS) -> dict:
    """What a careful API does: the key from the JWKS by kid, RS256 only, iss, aud, exp required."""
    key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def test_a_minted_token_verifies_like_an_issued_one(mockidp: MockIdP) -> None:
    minted = mockidp.mint(SEED_CLIENT_ID, claims={"department": "sales"}, ttl=120)
    claims = verify(mockidp, minted["token"])
    assert (claims["sub"], claims["sub_type"], claims["aud"], claims["department"]) == (
        SEED_CLIENT_ID,
        "client",
        ORDERS,
        "sales",
    )
    assert claims["exp"] - claims["iat"] == 120
    assert list(minted["header"]) == list(jwt.get_unverified_header(mockidp.mint_token(SEED_CLIENT_ID)))
    assert minted["header"]["kid"] == "SIGNING_KEY"


def test_a_minted_user_token_is_accepted_by_userinfo(mockidp: MockIdP) -> None:
    token = mockidp.mint_token(SEED_CLIENT_ID, user=SEED_USER, scope="openid profile")
    response = requests.get(mockidp.userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.json()["name"] == "alice alice"


def test_a_minted_id_token(mockidp: MockIdP) -> None:
    claims = mockidp.mint(SEED_CLIENT_ID, user=SEED_USER, kind="id", claims={"nonce": "n-1"})["claims"]
    assert (claims["tok_type"], claims["aud"], claims["nonce"]) == ("IT", [ISSUER, SEED_CLIENT_ID], "n-1")
    verify(mockidp, mockidp.mint_token(SEED_CLIENT_ID, user=SEED_USER, kind="id"), audience=SEED_CLIENT_ID)


@pytest.mark.parametrize(
    ("defect", "exception"),
    [
        ("expired", jwt.ExpiredSignatureError),
        ("not_yet_valid", jwt.ImmatureSignatureError),
        ("wrong_issuer", jwt.InvalidIssuerError),
        ("wrong_audience", jwt.InvalidAudienceError),
        ("bad_signature", jwt.InvalidSignatureError),
        ("unknown_kid", jwt.PyJWKClientError),
        ("alg_none", jwt.InvalidAlgorithmError),
        ("hs256_with_public_key", jwt.InvalidAlgorithmError),
        ("missing_claim:exp", jwt.MissingRequiredClaimError),
        ("missing_claim:sub", jwt.MissingRequiredClaimError),
    ],
)
def test_each_defect_is_refused_by_pyjwt_for_its_reason(mockidp: MockIdP, defect: str, exception: type) -> None:
    token = mockidp.mint_token(SEED_CLIENT_ID, defects=defect)
    with pytest.raises(exception):
        verify(mockidp, token)


def test_defective_tokens_are_defective_and_nothing_else(mockidp: MockIdP) -> None:
    expired = jwt.decode(mockidp.mint_token(SEED_CLIENT_ID, defects="expired"), options={"verify_signature": False})
    now = mockidp.clock.now()
    assert expired["exp"] < now - 300 and expired["exp"] - expired["iat"] == 3600

    unsigned = mockidp.mint_token(SEED_CLIENT_ID, defects="alg_none")
    assert unsigned.endswith(".") and jwt.get_unverified_header(unsigned)["alg"] == "none"

    altered = mockidp.mint_token(SEED_CLIENT_ID, defects="bad_signature")
    assert jwt.decode(altered, options={"verify_signature": False})["sub"] == SEED_CLIENT_ID

    wrong = jwt.decode(
        mockidp.mint_token(SEED_CLIENT_ID, defects=["wrong_issuer", "wrong_audience"]),
        options={"verify_signature": False},
    )
    assert (wrong["iss"], wrong["aud"]) == ("https://wrong-issuer.example.com/", "https://wrong-audience.example.com/")

    assert "jti" not in jwt.decode(
        mockidp.mint_token(SEED_CLIENT_ID, defects="missing_claim:jti"), options={"verify_signature": False}
    )


def test_the_hs256_token_is_the_algorithm_confusion_attack(mockidp: MockIdP) -> None:
    """A verifier that lets the token choose HS256 and keys it with the public key PEM would accept it."""
    token = mockidp.mint_token(SEED_CLIENT_ID, defects="hs256_with_public_key")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    public_pem = (
        jwt.PyJWKClient(mockidp.jwks_url)
        .get_signing_key("SIGNING_KEY")
        .key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(base64url_decode(signature), expected)


def test_minted_defective_tokens_are_refused_by_the_domain_too(mockidp: MockIdP) -> None:
    for defect in ("expired", "bad_signature", "unknown_kid", "alg_none", "hs256_with_public_key"):
        token = mockidp.mint_token(SEED_CLIENT_ID, user=SEED_USER, scope="openid", defects=defect)
        response = requests.get(mockidp.userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 401, defect


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client_id": "nobody"}, "there is no client 'nobody'"),
        ({"client_id": SEED_CLIENT_ID, "user": "ghost@example.com"}, "there is no user"),
        ({"client_id": SEED_CLIENT_ID, "kind": "id"}, "an ID token is about a user"),
        ({"client_id": SEED_CLIENT_ID, "defects": "crooked"}, "unknown defect 'crooked'"),
        ({"client_id": SEED_CLIENT_ID, "defects": ["alg_none", "bad_signature"]}, "a token has one signature"),
        ({"client_id": SEED_CLIENT_ID, "defects": "missing_claim:colour"}, "no 'colour' claim"),
        ({"client_id": PUBLIC_CLIENT_ID, "scope": "https://orders.example.com/write"}, "not in its allowed_scopes"),
        ({"client_id": SEED_CLIENT_ID, "ttl": 0}, "ttl: must be"),
    ],
)
def test_bad_token_requests_are_refused_saying_why(mockidp: MockIdP, kwargs: dict, message: str) -> None:
    client_id = kwargs.pop("client_id")
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.mint_token(client_id, **kwargs)
    assert raised.value.status == 400
    assert message in raised.value.description


def test_claims_can_be_anything_the_jwt_can_hold(mockidp: MockIdP) -> None:
    # A test may want a nonsensical exp; PyJWT refuses only a non-string iss, and that is a 400, not a 500.
    odd = mockidp.mint(SEED_CLIENT_ID, claims={"exp": "soon"}, defects="expired")["claims"]
    assert odd["iat"] == odd["exp"] - 3600
    response = requests.post(
        mockidp.control_url + "/tokens", json={"client_id": SEED_CLIENT_ID, "claims": {"iss": 5}}, timeout=10
    )
    assert response.status_code == 400
    assert "Issuer (iss) must be a string" in response.json()["error_description"]
