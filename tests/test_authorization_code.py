"""The authorization_code grant: the seed's script with its fixed code, single use with revocation on replay,
binding to client and redirect_uri, code_ttl, PKCE (S256 and plain), and the ID token the real service makes."""

from __future__ import annotations

import pytest
import requests
from authlib.oidc.core import CodeIDToken

from tests.flows import (
    ALICE,
    CALLBACK,
    CODE_ONLY,
    CODE_ONLY_SECRET,
    SPA,
    SPA_CALLBACK,
    WEBAPP,
    WEBAPP_SECRET,
    authorize,
    decode,
    follow,
    pkce,
    response_params,
    sign_in,
)
from tests.helpers import SEED_USERINFO, assert_error

# The seed script's values, as it hard-codes them; the shipped fixtures/default hold them.
SEED_CLIENT_ID = "04c1e0a50787408782a5a06fb04f6522"
SEED_CLIENT_SECRET = "5ec4e132-6cb8-4499-97fe-0c444faff293"
SEED_USER = "user@example.com"
SEED_CODE = (
    "AgAgMDlhODg3ZTYxNzIwNDA3ZWE2MjNiOTNmMzE3YWM5ODQIABDc_586l7Cfj6H5KdzEicBMAAAAQAV6ABieQBOclw50K9yeQYxA-"
    "1-hP-EWNwDR69d6ivViCylf6q9XCGW3v_6-P5XCFcokNrIH3pL7WlcEhi9Dm-s="
)


def seed_script(domain_url: str) -> tuple[requests.Response, requests.Response | None]:
    """What the seed's script does, with only its domain URL changed."""
    token_url = f"{domain_url}/oauth2/v1/token"
    token_data = {
        "grant_type": "authorization_code",
        "code": SEED_CODE,
        "redirect_uri": "http://localhost:8001",
        "client_id": SEED_CLIENT_ID,
        "client_secret": SEED_CLIENT_SECRET,
    }
    response = requests.post(token_url, data=token_data)
    if response.status_code != 200:
        return response, None
    access_token = response.json()["access_token"]
    userinfo = requests.get(f"{domain_url}/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return response, userinfo


def test_the_seed_script_works_again_and_again(idp):
    for _ in range(3):
        response, userinfo = seed_script(idp.url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["access_token", "token_type", "expires_in", "id_token"]
        assert decode(idp, body["id_token"])["sub"] == SEED_USER
        assert userinfo.status_code == 200
        assert userinfo.json() == SEED_USERINFO


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"redirect_uri": "http://localhost:8001/"}, "The redirect_uri 'http://localhost:8001/' is not the one of the "
         "authorization request; send 'http://localhost:8001'."),
        ({"client_id": "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f", "client_secret": None},
         "The authorization code was issued to another client."),
        ({"code_verifier": "x" * 43}, "The code_verifier was sent, but this fixture code was issued without PKCE."),
    ],
)  # fmt: skip
def test_the_fixed_code_is_still_bound(idp, changes, description):
    data = {
        "grant_type": "authorization_code",
        "code": SEED_CODE,
        "redirect_uri": "http://localhost:8001",
        "client_id": SEED_CLIENT_ID,
        "client_secret": SEED_CLIENT_SECRET,
        **changes,
    }
    response = requests.post(idp.token_url, data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"] == description


# ---------------------------------------------------------------------------------------------- issued codes


def get_code(idp, client_id=WEBAPP, redirect_uri=CALLBACK, scope="openid", **params: str) -> str:
    session = requests.Session()
    request = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri, "scope": scope}
    response = sign_in(session, follow(session, authorize(session, idp.url, **request, **params)), ALICE)
    assert response.status_code == 302, response.text[:300]
    return response_params(response.headers["location"])["code"]


def redeem(idp, code: str, auth=(WEBAPP, WEBAPP_SECRET), **params: str) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, **params}
    return requests.post(idp.token_url, data={k: v for k, v in data.items() if v is not None}, auth=auth)


def error_of(response: requests.Response) -> tuple[str, str]:
    """(error, error_description) of a 400 in the identity domain's exact error shape."""
    body = assert_error(response, 400, response.json().get("error"))
    return body["error"], body["error_description"]


def test_a_code_works_once_and_a_replay_revokes_what_it_gave(flow_idp):
    code = get_code(flow_idp, scope="openid offline_access")
    first = redeem(flow_idp, code)
    assert first.status_code == 200
    tokens = first.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "id_token", "refresh_token"}
    userinfo = flow_idp.userinfo_url
    assert requests.get(userinfo, headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 200

    assert error_of(redeem(flow_idp, code)) == (
        "invalid_grant",
        "The authorization code has already been used; the tokens issued for it have been revoked.",
    )
    revoked = requests.get(userinfo, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert revoked.status_code == 401
    assert revoked.json()["error_description"] == "The token has been revoked."
    refresh = requests.post(
        flow_idp.token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(WEBAPP, WEBAPP_SECRET),
    )
    assert error_of(refresh) == ("invalid_grant", "The refresh token is invalid or has been revoked.")
    introspected = requests.post(
        flow_idp.introspect_url, data={"token": tokens["access_token"]}, auth=(WEBAPP, WEBAPP_SECRET)
    )
    assert introspected.json() == {"active": False}


def test_an_unknown_code(flow_idp):
    assert error_of(redeem(flow_idp, "AgAgnope")) == ("invalid_grant", "The authorization code is invalid.")
    missing = redeem(flow_idp, None)
    assert error_of(missing) == ("invalid_request", "The code parameter is required for grant_type authorization_code.")


def test_a_code_is_bound_to_its_client(flow_idp):
    code = get_code(flow_idp)
    other = redeem(flow_idp, code, auth=(CODE_ONLY, CODE_ONLY_SECRET))
    assert error_of(other) == ("invalid_grant", "The authorization code was issued to another client.")


def test_a_code_is_bound_to_its_redirect_uri(flow_idp):
    code = get_code(flow_idp)
    assert error_of(redeem(flow_idp, code, redirect_uri="https://app.example.com/cb?tenant=a")) == (
        "invalid_grant",
        "The redirect_uri 'https://app.example.com/cb?tenant=a' is not the one of the authorization request; "
        f"send '{CALLBACK}'.",
    )
    # [choice] left out, it is not checked (idcs-reference §5 shows it optional at the token endpoint)
    assert redeem(flow_idp, get_code(flow_idp), redirect_uri=None).status_code == 200


def test_a_code_expires_after_code_ttl(flow_idp):
    code = get_code(flow_idp)
    flow_idp.domain.clock.advance(180)
    assert error_of(redeem(flow_idp, code)) == (
        "invalid_grant",
        "The authorization code has expired (codes are valid 180 s).",
    )
    code = get_code(flow_idp)
    flow_idp.domain.clock.advance(179)
    assert redeem(flow_idp, code).status_code == 200


def test_the_client_needs_the_grant(flow_idp):
    response = requests.post(
        flow_idp.token_url,
        data={"grant_type": "authorization_code", "code": "AgAgx", "redirect_uri": CALLBACK, "client_id": "tv"},
    )
    assert error_of(response) == ("unauthorized_client", "Client authorization failed.")


# ---------------------------------------------------------------------------------------------- PKCE


def test_pkce_s256_with_a_public_client(flow_idp):
    verifier, challenge = pkce()
    code = get_code(flow_idp, SPA, SPA_CALLBACK, code_challenge=challenge, code_challenge_method="S256")
    response = redeem(flow_idp, code, auth=None, client_id=SPA, redirect_uri=SPA_CALLBACK, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert decode(flow_idp, response.json()["access_token"])["client_id"] == SPA


def test_pkce_plain(flow_idp):
    verifier = "plain-verifier-" + "a" * 40
    code = get_code(flow_idp, code_challenge=verifier, code_challenge_method="plain")
    assert redeem(flow_idp, code, code_verifier=verifier).status_code == 200
    # a challenge without a method is plain (RFC 7636 §4.3)
    code = get_code(flow_idp, code_challenge=verifier)
    assert redeem(flow_idp, code, code_verifier=verifier).status_code == 200


MISMATCH = "The code_verifier does not match the code_challenge"


@pytest.mark.parametrize(
    ("method", "verifier", "expected"),
    [
        ("S256", "wrong-" + "v" * 40, ("invalid_grant", f"{MISMATCH} (method S256).")),
        ("S256", None, ("invalid_grant", "The code_verifier parameter is required: the authorization request used "
                        "PKCE.")),
        ("S256", "short", ("invalid_request", "The code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', "
                           "'.', '_' and '~' (RFC 7636).")),
        ("plain", "wrong-" + "v" * 40, ("invalid_grant", f"{MISMATCH} (method plain).")),
    ],
)  # fmt: skip
def test_pkce_failures(flow_idp, method, verifier, expected):
    right, challenge = pkce()
    code = get_code(flow_idp, code_challenge=challenge if method == "S256" else right, code_challenge_method=method)
    assert error_of(redeem(flow_idp, code, code_verifier=verifier)) == expected
    # the code is used up by the failed attempt
    assert error_of(redeem(flow_idp, code, code_verifier=right))[0] == "invalid_grant"


def test_a_verifier_without_a_challenge_is_refused(flow_idp):
    verifier, _ = pkce()
    assert error_of(redeem(flow_idp, get_code(flow_idp), code_verifier=verifier)) == (
        "invalid_grant",
        "The code_verifier was sent, but the authorization request had no code_challenge: send code_challenge and "
        "code_challenge_method to the authorize endpoint.",
    )


# ---------------------------------------------------------------------------------------------- ID token


def test_the_id_token_is_shaped_like_the_real_one(flow_idp):
    code = get_code(flow_idp, scope="openid offline_access", nonce="n-0S6_WzA2Mj")
    signed_in_at = int(flow_idp.domain.clock.now())
    tokens = redeem(flow_idp, code).json()
    id_token = decode(flow_idp, tokens["id_token"])
    access = decode(flow_idp, tokens["access_token"])
    issuer = "https://identity.oraclecloud.com/"
    assert id_token["tok_type"] == "IT"
    assert id_token["iss"] == issuer
    assert id_token["aud"] == [issuer, WEBAPP]
    assert id_token["azp"] == WEBAPP
    assert id_token["nonce"] == "n-0S6_WzA2Mj"
    assert id_token["sub"] == ALICE
    assert abs(id_token["auth_time"] - signed_in_at) <= 1
    assert id_token["session_exp"] == id_token["auth_time"] + 28800
    assert id_token["exp"] == id_token["session_exp"]
    assert id_token["sid"] == access["sid"]
    assert id_token["amr"] == ["USERNAME_PASSWORD"]
    assert "c_hash" not in id_token
    assert access["gtp"] == "azc"
    # Authlib's OpenID Connect checks (at_hash, nonce, azp, auth_time) as a relying party runs them
    header = {"alg": "RS256"}
    params = {"nonce": "n-0S6_WzA2Mj", "client_id": WEBAPP, "access_token": tokens["access_token"]}
    options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": WEBAPP}}
    CodeIDToken(id_token, header, options, params).validate(now=int(flow_idp.domain.clock.now()))
    wrong = {**params, "access_token": tokens["refresh_token"]}
    with pytest.raises(Exception, match="at_hash"):
        CodeIDToken(id_token, header, options, wrong).validate(now=int(flow_idp.domain.clock.now()))

    # a refresh keeps the session: same sid, auth_time and session end
    refreshed = requests.post(
        flow_idp.token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(WEBAPP, WEBAPP_SECRET),
    ).json()
    again = decode(flow_idp, refreshed["id_token"])
    assert (again["sid"], again["auth_time"], again["exp"]) == (id_token["sid"], id_token["auth_time"], id_token["exp"])
    assert "nonce" not in again


def test_max_age_asks_for_auth_time(flow_idp):
    tokens = redeem(flow_idp, get_code(flow_idp, max_age="600")).json()
    assert isinstance(decode(flow_idp, tokens["id_token"])["auth_time"], int)


def test_resource_scopes_through_a_code(flow_idp):
    tokens = redeem(flow_idp, get_code(flow_idp, scope="https://orders.example.com/read")).json()
    assert set(tokens) == {"access_token", "token_type", "expires_in"}  # no openid: no ID token
    access = decode(flow_idp, tokens["access_token"])
    assert (access["aud"], access["scope"], access["sub"]) == ("https://orders.example.com/", "read", ALICE)


def test_code_only_client_gets_no_refresh_token(flow_idp):
    session = requests.Session()
    request = {
        "client_id": CODE_ONLY,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid offline_access",
    }
    response = sign_in(session, follow(session, authorize(session, flow_idp.url, **request)), ALICE)
    code = response_params(response.headers["location"])["code"]
    tokens = redeem(flow_idp, code, auth=(CODE_ONLY, CODE_ONLY_SECRET)).json()
    assert "refresh_token" not in tokens
