"""Every way a client can get a token request wrong, with the exact status and IDCS-shaped body."""

from __future__ import annotations

import base64

import pytest
import requests

from mockidp.testing import MockIdP
from tests.conftest import ORDERS, PUBLIC_CLIENT_ID, SEED_CLIENT_ID, SEED_CLIENT_SECRET
from tests.helpers import assert_error, post_token

READ = f"{ORDERS}read"
CC = {"grant_type": "client_credentials", "scope": READ}


def basic(value: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


def raw_post(idp: MockIdP, body: bytes | str, headers: dict[str, str]) -> requests.Response:
    return requests.post(idp.token_url, data=body, headers=headers, timeout=10)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_missing_grant_type(idp: MockIdP):
    assert_error(post_token(idp, {"scope": READ}), 400, "invalid_request", "The grant_type parameter is required.")


def test_unknown_grant_type(idp: MockIdP):
    body = assert_error(post_token(idp, {"grant_type": "magic"}), 400, "unsupported_grant_type")
    assert body["error_description"].startswith("The grant type 'magic' is not supported; use one of ")


def test_json_body_is_refused(idp: MockIdP):
    response = requests.post(idp.token_url, json=CC, auth=(SEED_CLIENT_ID, SEED_CLIENT_SECRET), timeout=10)
    assert_error(
        response,
        400,
        "invalid_request",
        "The request body must be sent as application/x-www-form-urlencoded (got application/json).",
    )


def test_no_content_type(idp: MockIdP):
    response = raw_post(idp, b"grant_type=client_credentials", {})
    assert_error(
        response,
        400,
        "invalid_request",
        "The request body must be sent as application/x-www-form-urlencoded (got no Content-Type).",
    )


def test_charset_in_content_type_is_fine(idp: MockIdP):
    headers = {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        **basic(f"{SEED_CLIENT_ID}:{SEED_CLIENT_SECRET}"),
    }
    response = raw_post(idp, f"grant_type=client_credentials&scope={READ}", headers)
    assert response.status_code == 200, response.text


def test_repeated_parameter(idp: MockIdP):
    response = post_token(idp, f"grant_type=client_credentials&scope={READ}&scope={READ}", headers=FORM)
    assert_error(response, 400, "invalid_request", "The scope parameter is repeated; send each parameter once.")


def test_body_not_utf8(idp: MockIdP):
    response = raw_post(
        idp, b"grant_type=client_credentials&scope=\xff%", {**FORM, **basic(f"{SEED_CLIENT_ID}:{SEED_CLIENT_SECRET}")}
    )
    assert_error(response, 400, "invalid_request", "The request body is not valid UTF-8.")


def test_body_too_large(idp: MockIdP):
    response = post_token(idp, {"grant_type": "client_credentials", "scope": "x" * 70000})
    assert_error(response, 413, "invalid_request", "The request body is larger than 65536 bytes.")


def test_too_many_parameters(idp: MockIdP):
    response = post_token(idp, "&".join(f"p{i}=1" for i in range(150)), headers=FORM)
    assert_error(response, 400, "invalid_request", "The request has more than 100 parameters.")


def test_wrong_method(idp: MockIdP):
    response = requests.put(idp.token_url, data=CC, timeout=10)
    assert_error(response, 405, "invalid_request", "PUT is not allowed on /oauth2/v1/token; use POST.")


# -- client authentication -------------------------------------------------------------------------------


def test_wrong_secret(idp: MockIdP):
    response = post_token(idp, CC, auth=(SEED_CLIENT_ID, "wrong"))
    assert_error(response, 401, "invalid_client", "Client authentication failed.")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_secret_in_body(idp: MockIdP):
    response = post_token(idp, {**CC, "client_id": SEED_CLIENT_ID, "client_secret": "wrong"}, auth=None)
    assert_error(response, 401, "invalid_client", "Client authentication failed.")
    assert "WWW-Authenticate" not in response.headers


def test_unknown_client(idp: MockIdP):
    assert_error(post_token(idp, CC, auth=("nobody", "x")), 401, "invalid_client", "Client authentication failed.")


def test_no_client_authentication(idp: MockIdP):
    assert_error(
        post_token(idp, CC, auth=None),
        401,
        "invalid_client",
        "The request does not authenticate a client: send an Authorization: Basic header, or client_id "
        "(and client_secret) in the body.",
    )


def test_confidential_client_without_secret(idp: MockIdP):
    assert_error(
        post_token(idp, {**CC, "client_id": SEED_CLIENT_ID}, auth=None),
        401,
        "invalid_client",
        "Client authentication failed.",
    )


@pytest.mark.parametrize(
    ("header", "description"),
    [
        ("Basic", 'The Authorization header must be "Basic" followed by base64 of client_id:client_secret.'),
        ("Digest abc", 'The Authorization header must be "Basic" followed by base64 of client_id:client_secret.'),
        ("Basic !!!notbase64", "The Basic credentials are not valid base64 of client_id:client_secret."),
        (
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "The Basic credentials must be client_id:client_secret, separated by a colon.",
        ),
        (
            "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
            "The Basic credentials are not valid base64 of client_id:client_secret.",
        ),
    ],
)
def test_malformed_basic_header(idp: MockIdP, header: str, description: str):
    response = raw_post(idp, f"grant_type=client_credentials&scope={READ}", {**FORM, "Authorization": header})
    assert_error(response, 401, "invalid_client", description)
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_two_authentication_methods(idp: MockIdP):
    response = post_token(idp, {**CC, "client_secret": SEED_CLIENT_SECRET})
    assert_error(
        response,
        400,
        "invalid_request",
        "Use one client authentication method: the request has both an "
        "Authorization header and a client_secret parameter.",
    )


def test_client_id_differs_from_basic(idp: MockIdP):
    response = post_token(idp, {**CC, "client_id": PUBLIC_CLIENT_ID})
    assert_error(
        response,
        401,
        "invalid_client",
        "The client_id parameter differs from the client_id in the Authorization header.",
    )


def test_same_client_id_in_body_and_basic_is_fine(idp: MockIdP):
    assert post_token(idp, {**CC, "client_id": SEED_CLIENT_ID}).status_code == 200


def test_public_client_sending_a_secret(idp: MockIdP):
    assert_error(
        post_token(idp, CC, auth=(PUBLIC_CLIENT_ID, "guess")), 401, "invalid_client", "Client authentication failed."
    )


# -- grants the client may not use ------------------------------------------------------------------------


def test_public_client_cannot_use_client_credentials(idp: MockIdP):
    response = post_token(idp, {**CC, "client_id": PUBLIC_CLIENT_ID}, auth=None)
    assert_error(response, 400, "unauthorized_client", "Client authorization failed.")


def test_grant_the_client_is_not_allowed(idp: MockIdP):
    response = post_token(
        idp,
        {
            "grant_type": "password",
            "username": "user@example.com",
            "password": "Welcome1!",
            "scope": "openid",
            "client_id": PUBLIC_CLIENT_ID,
        },
        auth=None,
    )
    assert_error(response, 400, "unauthorized_client", "Client authorization failed.")


def test_error_responses_are_not_cached(idp: MockIdP):
    response = post_token(idp, CC, auth=("nobody", "x"))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"].startswith("application/json")
