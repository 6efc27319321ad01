"""The clock and the signing keys, moved through the control plane and followed by real client libraries."""

from __future__ import annotations

import datetime
import re

import jwt
import pytest
import requests
from conftest import PASSWORD, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER

from mockidp.testing import ControlPlaneError, MockIdP

SEED_AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)


def user_tokens(idp: MockIdP) -> dict:
    data = {"grant_type": "password", "username": SEED_USER, "password": PASSWORD, "scope": "openid offline_access"}
    response = requests.post(idp.token_url, data=data, auth=SEED_AUTH, timeout=10)
    response.raise_for_status()
    return response.json()


def userinfo(idp: MockIdP, access_token: str) -> requests.Response:
    return requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


# ---------------------------------------------------------------------------------------------- clock


def test_advancing_the_clock_expires_tokens_at_userinfo(mockidp: MockIdP) -> None:
    access_token = user_tokens(mockidp)["access_token"]
    assert userinfo(mockidp, access_token).status_code == 200
    mockidp.clock.advance(datetime.timedelta(hours=1, seconds=1))
    response = userinfo(mockidp, access_token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "expired" in response.json()["error_description"]


def test_advancing_the_clock_expires_refresh_tokens(mockidp: MockIdP) -> None:
    refresh_token = user_tokens(mockidp)["refresh_token"]
    mockidp.clock.advance(604800 + 1)
    response = requests.post(
        mockidp.token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=SEED_AUTH,
        timeout=10,
    )
    body = response.json()
    assert (response.status_code, body["error"], body["error_description"]) == (
        400,
        "invalid_grant",
        "The refresh token has expired.",
    )


def test_a_frozen_clock_stamps_every_token(mockidp: MockIdP) -> None:
    instant = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert mockidp.clock.freeze(at=instant) == instant.timestamp()
    claims = jwt.decode(user_tokens(mockidp)["access_token"], options={"verify_signature": False})
    assert (claims["iat"], claims["exp"]) == (int(instant.timestamp()), int(instant.timestamp()) + 3600)
    state = mockidp.clock.state()
    assert (state["frozen"], state["iso"]) == (True, "2030-01-02T03:04:05Z")
    mockidp.clock.advance(60)
    assert mockidp.clock.now() == instant.timestamp() + 60
    mockidp.clock.unfreeze()
    assert mockidp.clock.state()["frozen"] is False
    mockidp.clock.reset()
    assert abs(mockidp.clock.state()["offset"]) < 60


def test_the_clock_can_be_set_by_iso_time(mockidp: MockIdP) -> None:
    now = mockidp.clock.set("2031-05-06T07:08:09Z")
    assert now >= datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.UTC).timestamp()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "jump"}, "action: must be one of"),
        ({"action": "advance", "seconds": "ten"}, "seconds: must be a number"),
        ({"action": "advance", "seconds": 1e12}, "100 years"),
        ({"action": "set", "time": "yesterday"}, "is not ISO 8601"),
        ({"action": "set", "time": -5}, "between 1970"),
        ({"action": "reset", "seconds": 3}, "seconds: not a field"),
        ([1, 2], "must be an object"),
    ],
)
def test_bad_clock_changes_are_refused(mockidp: MockIdP, body: object, message: str) -> None:
    response = requests.post(mockidp.control_url + "/clock", json=body, timeout=10)
    assert response.status_code == 400
    assert message in response.json()["error_description"]


# ---------------------------------------------------------------------------------------------- keys


def test_pyjwkclient_follows_a_key_rotation(mockidp: MockIdP) -> None:
    jwks = jwt.PyJWKClient(mockidp.jwks_url, cooldown_duration=0)  # fetch again on any unknown kid
    old_token = user_tokens(mockidp)["access_token"]
    assert jwks.get_signing_key_from_jwt(old_token).key_id == "SIGNING_KEY"

    new_kid = mockidp.rotate_keys()
    assert re.fullmatch(r"SIGNING_KEY_[2-9][0-9]*", new_kid)  # the serial goes on across resets
    new_token = user_tokens(mockidp)["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    # The cached JWKS lacks the new kid: PyJWKClient fetches again and finds it.
    key = jwks.get_signing_key_from_jwt(new_token)
    assert jwt.decode(
        new_token,
        key.key,
        algorithms=["RS256"],
        audience=jwt.decode(new_token, options={"verify_signature": False})["aud"],
    )
    # The old key stays published until retired, so tokens it signed still verify.
    assert jwks.get_signing_key_from_jwt(old_token).key_id == "SIGNING_KEY"
    assert userinfo(mockidp, old_token).status_code == 200

    mockidp.retire_key("SIGNING_KEY")
    with pytest.raises(jwt.PyJWKClientError, match="Unable to find a signing key"):
        jwt.PyJWKClient(mockidp.jwks_url).get_signing_key_from_jwt(old_token)
    assert userinfo(mockidp, old_token).status_code == 401
    assert userinfo(mockidp, new_token).status_code == 200


def test_pyjwkclient_fails_on_an_unknown_kid(mockidp: MockIdP) -> None:
    forged = mockidp.mint_token(SEED_CLIENT_ID, defects="unknown_kid")
    with pytest.raises(jwt.PyJWKClientError, match="UNKNOWN_SIGNING_KEY"):
        jwt.PyJWKClient(mockidp.jwks_url).get_signing_key_from_jwt(forged)


def test_a_cooling_down_pyjwkclient_needs_the_next_key_published_ahead(mockidp: MockIdP) -> None:
    # PyJWKClient does not fetch the JWKS again within its cooldown: a key rotated in without notice fails...
    jwks = jwt.PyJWKClient(mockidp.jwks_url, cooldown_duration=3600)
    assert jwks.get_signing_key_from_jwt(user_tokens(mockidp)["access_token"]).key_id == "SIGNING_KEY"
    rotated = mockidp.rotate_keys()
    with pytest.raises(jwt.PyJWKClientError, match=rotated):
        jwks.get_signing_key_from_jwt(user_tokens(mockidp)["access_token"])

    # ...while a key published ahead of use is already in the JWKS the client holds when signing starts.
    mockidp.reset()
    jwks = jwt.PyJWKClient(mockidp.jwks_url, cooldown_duration=3600)
    next_kid = mockidp.publish_next_key()
    assert [k["kid"] for k in requests.get(mockidp.jwks_url, timeout=10).json()["keys"]] == ["SIGNING_KEY", next_kid]
    old_token = user_tokens(mockidp)["access_token"]
    assert jwt.get_unverified_header(old_token)["kid"] == "SIGNING_KEY"
    assert jwks.get_signing_key_from_jwt(old_token).key_id == "SIGNING_KEY"
    assert mockidp.rotate_keys() == next_kid
    assert jwks.get_signing_key_from_jwt(user_tokens(mockidp)["access_token"]).key_id == next_kid


def test_introspection_follows_the_keys(mockidp: MockIdP) -> None:
    token = user_tokens(mockidp)["access_token"]
    mockidp.rotate_keys()
    introspect = lambda: requests.post(mockidp.introspect_url, data={"token": token}, auth=SEED_AUTH, timeout=10).json()  # noqa: E731
    assert introspect()["active"] is True
    mockidp.retire_key("SIGNING_KEY")
    assert introspect() == {"active": False}


def test_key_states_and_refusals(mockidp: MockIdP) -> None:
    assert [(k["kid"], k["status"], k["source"]) for k in mockidp.keys()] == [("SIGNING_KEY", "active", "fixtures")]
    next_kid = mockidp.publish_next_key()
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.publish_next_key()
    assert raised.value.status == 409 and next_kid in raised.value.description
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.retire_key("SIGNING_KEY")
    assert raised.value.status == 409 and "rotate" in raised.value.description
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.retire_key("NO_SUCH_KEY")
    assert raised.value.status == 404
    mockidp.rotate_keys()
    assert [(k["kid"], k["status"]) for k in mockidp.keys()] == [(next_kid, "active"), ("SIGNING_KEY", "previous")]


def test_reset_brings_back_the_fixture_key(mockidp: MockIdP) -> None:
    mockidp.rotate_keys()
    mockidp.retire_key("SIGNING_KEY")
    mockidp.reset()
    assert [k["kid"] for k in requests.get(mockidp.jwks_url, timeout=10).json()["keys"]] == ["SIGNING_KEY"]
    assert jwt.get_unverified_header(user_tokens(mockidp)["access_token"])["kid"] == "SIGNING_KEY"
