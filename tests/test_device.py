"""The device code grant: `POST /oauth2/v1/device`, the verification page driven by a script, and polling the
token endpoint through authorization_pending, slow_down, access_denied, expired_token and the tokens."""

from __future__ import annotations

import re

import pytest
import requests

from tests.flows import ALICE, TV, WEBAPP, WEBAPP_SECRET, decode, forms, password_form, sign_in
from tests.helpers import assert_error

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start(idp, client_id=TV, scope="openid offline_access https://orders.example.com/read", **extra) -> dict:
    data = {"response_type": "device_code", "scope": scope, "client_id": client_id, **extra}
    response = requests.post(idp.device_authorization_url, data=data)
    assert response.status_code == 200, response.text
    return response.json()


def poll(idp, device_code: str, client_id: str = TV) -> requests.Response:
    return requests.post(
        idp.token_url, data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id}
    )


def error_of(response: requests.Response) -> tuple[str, str]:
    """(error, error_description) of a 400 in the identity domain's exact error shape."""
    body = assert_error(response, 400, response.json().get("error"))
    return body["error"], body["error_description"]


def verify(idp, user_code: str, decision: str = "approve", user: str = ALICE) -> requests.Response:
    """What the user does in a browser: open the verification page, enter the code, sign in, decide."""
    browser = requests.Session()
    entry = browser.get(f"{idp.url}/ui/v1/device")
    (form,) = forms(entry.text)
    assert (form.method, form.action, form.inputs) == ("get", "/ui/v1/device", {"user_code": "text"})
    signin = browser.get(f"{idp.url}/ui/v1/device", params={"user_code": user_code})
    assert signin.url.startswith(f"{idp.url}/ui/v1/signin?request_id=")
    confirm = browser.get(sign_in(browser, signin, user).headers["location"])
    assert "Allow access?" in confirm.text
    (form,) = forms(confirm.text)
    return browser.post(f"{idp.url}{form.action}", data={**form.fields, "decision": decision})


def test_the_device_authorization_response(flow_idp):
    body = start(flow_idp)
    assert list(body) == ["expires_in", "device_code", "user_code", "verification_uri", "interval"]
    assert body["expires_in"] == 300
    assert body["interval"] == 5
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{8}", body["user_code"])
    assert body["verification_uri"] == f"{flow_idp.url}/ui/v1/device"
    assert len(body["device_code"]) >= 32


def test_a_device_polls_until_the_user_approves(flow_idp):
    clock = flow_idp.domain.clock
    clock.freeze()
    body = start(flow_idp)
    assert error_of(poll(flow_idp, body["device_code"])) == (
        "authorization_pending",
        "The user has not yet approved the authorization request.",
    )
    assert error_of(poll(flow_idp, body["device_code"])) == (
        "slow_down",
        "Polling too fast; wait at least 10 seconds between requests.",
    )
    clock.advance(5)  # the interval is 10 now
    assert error_of(poll(flow_idp, body["device_code"]))[0] == "slow_down"
    clock.advance(15)
    assert error_of(poll(flow_idp, body["device_code"]))[0] == "authorization_pending"

    done = verify(flow_idp, body["user_code"])
    assert done.status_code == 200
    assert "Device connected" in done.text

    clock.advance(15)
    tokens = poll(flow_idp, body["device_code"])
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access_token", "token_type", "expires_in", "id_token", "refresh_token"}
    access = decode(flow_idp, tokens.json()["access_token"])
    assert (access["sub"], access["client_id"], access["gtp"], access["scope"]) == (
        ALICE,
        TV,
        "dc",
        "read openid offline_access",
    )
    assert decode(flow_idp, tokens.json()["id_token"])["aud"] == ["https://identity.oraclecloud.com/", TV]
    clock.advance(15)
    assert error_of(poll(flow_idp, body["device_code"])) == (
        "invalid_grant",
        "The device_code is invalid or has already been used.",
    )
    # the user code is used up too
    again = requests.get(f"{flow_idp.url}/ui/v1/device", params={"user_code": body["user_code"]})
    assert again.status_code == 400
    assert f"The code {body['user_code']} is not valid." in again.text


def test_the_user_denies(flow_idp):
    body = start(flow_idp)
    assert "Access denied" in verify(flow_idp, body["user_code"], "deny").text
    assert error_of(poll(flow_idp, body["device_code"])) == (
        "access_denied",
        "The user denied the authorization request.",
    )


def test_cancel_on_the_sign_in_page_denies(flow_idp):
    body = start(flow_idp)
    browser = requests.Session()
    page = browser.get(f"{flow_idp.url}/ui/v1/device", params={"user_code": body["user_code"]})
    form = password_form(page.text)
    response = browser.post(f"{flow_idp.url}{form.action}", data={**form.fields, "cancel": "cancel"})
    assert "Access denied" in response.text
    assert error_of(poll(flow_idp, body["device_code"]))[0] == "access_denied"


def test_the_code_expires(flow_idp):
    body = start(flow_idp)
    flow_idp.domain.clock.advance(300)
    assert error_of(poll(flow_idp, body["device_code"])) == (
        "expired_token",
        "The device_code has expired; start a new device authorization.",
    )
    page = requests.get(f"{flow_idp.url}/ui/v1/device", params={"user_code": body["user_code"]})
    assert page.status_code == 400
    assert f"The code {body['user_code']} has expired. Start again on your device." in page.text


def test_a_signed_in_user_types_the_code_loosely(flow_idp):
    body = start(flow_idp)
    browser = requests.Session()
    page = browser.get(f"{flow_idp.url}/ui/v1/device", params={"user_code": body["user_code"]})
    browser.get(sign_in(browser, page, ALICE).headers["location"])
    loose = body["user_code"][:4].lower() + "-" + body["user_code"][4:].lower()
    confirm = browser.get(f"{flow_idp.url}/ui/v1/device", params={"user_code": loose})
    assert "Allow access?" in confirm.text  # no second sign-in: the session is used
    assert "<code>https://orders.example.com/read</code>" in confirm.text
    assert "Living-room TV" in confirm.text


def test_the_decision_form_needs_its_csrf_token(flow_idp):
    body = start(flow_idp)
    browser = requests.Session()
    page = browser.get(f"{flow_idp.url}/ui/v1/device", params={"user_code": body["user_code"]})
    browser.get(sign_in(browser, page, ALICE).headers["location"])
    data = {"user_code": body["user_code"], "csrf_token": "guess", "decision": "approve"}
    assert browser.post(f"{flow_idp.url}/ui/v1/device", data=data).status_code == 403
    assert error_of(poll(flow_idp, body["device_code"]))[0] == "authorization_pending"


@pytest.mark.parametrize(
    ("data", "status", "error", "description"),
    [
        ({"client_id": WEBAPP, "client_secret": WEBAPP_SECRET, "scope": "openid"}, 400, "unauthorized_client",
         "Client authorization failed."),
        ({"client_id": TV, "scope": "openid", "response_type": "code"}, 400, "invalid_request",
         "The response_type must be device_code, not 'code'."),
        ({"client_id": TV}, 400, "invalid_request",
         'The scope parameter is missing: ask for at least one scope, e.g. "openid" or a resource scope such as '
         '"https://api.example.com/read".'),
        ({"client_id": TV, "scope": "https://orders.example.com/write"}, 400, "unauthorized_client",
         "Client authorization failed."),
        ({"client_id": "nobody", "scope": "openid"}, 401, "invalid_client", "Client authentication failed."),
    ],
)  # fmt: skip
def test_device_authorization_errors(flow_idp, data, status, error, description):
    assert_error(requests.post(flow_idp.device_authorization_url, data=data), status, error, description)


def test_a_standard_rfc8628_request_without_response_type(flow_idp):
    response = requests.post(flow_idp.device_authorization_url, data={"client_id": TV, "scope": "openid"})
    assert response.status_code == 200


def test_only_the_device_s_client_may_poll(flow_idp):
    body = start(flow_idp)
    response = requests.post(
        flow_idp.token_url,
        data={"grant_type": DEVICE_GRANT, "device_code": body["device_code"]},
        auth=(WEBAPP, WEBAPP_SECRET),
    )
    assert error_of(response)[0] == "unauthorized_client"  # webapp is not allowed the device grant at all
    assert error_of(poll(flow_idp, "made-up"))[0] == "invalid_grant"
