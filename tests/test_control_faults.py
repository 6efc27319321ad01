"""Faults queued through the control plane, seen by real client libraries over real HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from authlib.integrations.requests_client import OAuth2Session
from conftest import PASSWORD, PUBLIC_CLIENT_ID, SECOND_USER, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mockidp.testing import ControlPlaneError, MockIdP

READ = "https://orders.example.com/read"
SEED_AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)


def client_credentials(idp: MockIdP, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).post(
        idp.token_url, data={"grant_type": "client_credentials", "scope": READ}, auth=SEED_AUTH, timeout=10
    )


def password_grant(idp: MockIdP, user: str = SEED_USER, scope: str = "openid offline_access") -> requests.Response:
    data = {"grant_type": "password", "username": user, "password": PASSWORD, "scope": scope}
    return requests.post(idp.token_url, data=data, auth=SEED_AUTH, timeout=10)


def test_rate_limited_is_a_429_with_retry_after_in_the_idcs_shape(mockidp: MockIdP) -> None:
    mockidp.fault("token", error="rate_limited")
    response = client_credentials(mockidp)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    body = response.json()
    assert list(body) == ["error", "error_description", "ecid"]
    assert body["error"] == "too_many_requests"
    assert body["ecid"] == response.headers["X-ORACLE-DMS-ECID"]
    assert client_credentials(mockidp).status_code == 200  # one request only (times defaults to 1)


def test_retry_after_can_be_chosen(mockidp: MockIdP) -> None:
    mockidp.fault("token", error="temporarily_unavailable", retry_after=2)
    response = client_credentials(mockidp)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")


def test_a_client_that_retries_on_503_gets_through(mockidp: MockIdP) -> None:
    session = requests.Session()
    retry = Retry(
        total=3, status_forcelist=[503], allowed_methods=None, backoff_factor=0, respect_retry_after_header=False
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    with mockidp.fault("token", error="temporarily_unavailable", times=2) as fault:
        response = client_credentials(mockidp, session)
        assert fault.hits == 2
    assert response.status_code == 200
    assert [r.status for r in mockidp.requests("token")] == [503, 503, 200]
    assert [r.fault for r in mockidp.requests("token")] == [fault.id, fault.id, None]


def test_authlib_refresh_hits_a_queued_invalid_grant(mockidp: MockIdP) -> None:
    oauth = OAuth2Session(SEED_CLIENT_ID, SEED_CLIENT_SECRET, scope="openid offline_access")
    token = oauth.fetch_token(mockidp.token_url, username=SEED_USER, password=PASSWORD, grant_type="password")
    mockidp.fault(
        "token",
        error="invalid_grant",
        error_description="The refresh token has been revoked.",
        match={"grant_type": "refresh_token"},
    )
    assert client_credentials(mockidp).status_code == 200  # other grants are not touched
    with pytest.raises(AuthlibOAuthError) as raised:
        oauth.refresh_token(mockidp.token_url, refresh_token=token["refresh_token"])
    assert raised.value.error == "invalid_grant"
    assert raised.value.description == "The refresh token has been revoked."
    refreshed = oauth.refresh_token(mockidp.token_url, refresh_token=token["refresh_token"])
    assert refreshed["access_token"]


def test_a_fault_can_match_one_user(mockidp: MockIdP) -> None:
    mockidp.fault("token", error="invalid_grant", match={"user": SECOND_USER}, times=None)
    assert password_grant(mockidp, SEED_USER).status_code == 200
    assert password_grant(mockidp, SECOND_USER).json()["error"] == "invalid_grant"
    assert password_grant(mockidp, SECOND_USER).status_code == 400  # times=None: every matching request


def test_a_fault_can_match_the_client_of_a_basic_header(mockidp: MockIdP) -> None:
    mockidp.fault("token", error="invalid_client", match={"client_id": PUBLIC_CLIENT_ID})
    assert client_credentials(mockidp).status_code == 200
    mockidp.fault("token", error="invalid_client", match={"client_id": SEED_CLIENT_ID})
    response = client_credentials(mockidp)
    assert response.status_code == 401
    assert response.json()["error_description"] == "Client authentication failed."
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_dropped_connection_has_no_answer(mockidp: MockIdP) -> None:
    mockidp.fault("token", drop=True)
    with pytest.raises(requests.ConnectionError):
        client_credentials(mockidp)
    assert client_credentials(mockidp).status_code == 200
    assert [r.status for r in mockidp.requests("token")] == [None, 200]


def test_a_malformed_body_is_not_json(mockidp: MockIdP) -> None:
    mockidp.fault("token", malformed=True)
    response = client_credentials(mockidp)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_an_arbitrary_answer(mockidp: MockIdP) -> None:
    mockidp.fault("userinfo", status=502, headers={"X-Gateway": "down"}, body="<html>Bad Gateway</html>")
    response = requests.get(mockidp.userinfo_url, timeout=10)
    assert (response.status_code, response.headers["X-Gateway"], response.text) == (
        502,
        "down",
        "<html>Bad Gateway</html>",
    )
    assert response.headers["Content-Type"].startswith("text/plain")
    mockidp.fault("userinfo", status=200, body={"sub": "nobody"})
    assert requests.get(mockidp.userinfo_url, timeout=10).json() == {"sub": "nobody"}


def test_a_delay_then_the_real_answer(mockidp: MockIdP) -> None:
    mockidp.fault("token", delay=0.2)
    assert client_credentials(mockidp).json()["token_type"] == "Bearer"


def test_a_long_delay_makes_a_client_time_out(mockidp: MockIdP) -> None:
    mockidp.fault("discovery", delay=30)
    with pytest.raises(requests.Timeout):
        requests.get(mockidp.discovery_url, timeout=0.5)


def test_a_delay_before_an_error(mockidp: MockIdP) -> None:
    mockidp.fault("introspect", delay=0.1, error="server_error")
    response = requests.post(mockidp.introspect_url, data={"token": "x"}, auth=SEED_AUTH, timeout=10)
    assert (response.status_code, response.json()["error"]) == (500, "server_error")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/oauth2/v1/authorize"),
        ("POST", "/oauth2/v1/token"),
        ("GET", "/oauth2/v1/userinfo"),
        ("POST", "/oauth2/v1/introspect"),
        ("POST", "/oauth2/v1/revoke"),
        ("POST", "/oauth2/v1/device"),
        ("GET", "/oauth2/v1/userlogout"),
        ("GET", "/admin/v1/SigningCert/jwk"),
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/.well-known/oauth-authorization-server"),
        ("GET", "/.well-known/idcs-configuration"),
    ],
)
def test_faults_apply_at_every_endpoint(mockidp: MockIdP, method: str, path: str) -> None:
    endpoint = {"/oauth2/v1/userlogout": "logout", "/admin/v1/SigningCert/jwk": "jwks"}.get(
        path, "discovery" if path.startswith("/.well-known") else path.rsplit("/", 1)[1]
    )
    mockidp.fault(endpoint, error="unavailable")
    response = requests.request(method, mockidp.url + path, timeout=10)
    assert response.status_code == 503
    if endpoint == "jwks":  # /admin/v1 answers in the SCIM error shape
        assert response.json()["status"] == "503"
    else:
        assert response.json()["error"] == "temporarily_unavailable"
    assert mockidp.requests()[-1].endpoint == endpoint


def test_the_any_endpoint_fault(mockidp: MockIdP) -> None:
    mockidp.fault("any", error="server_error", times=2)
    assert requests.get(mockidp.jwks_url, timeout=10).status_code == 500
    assert client_credentials(mockidp).status_code == 500
    assert client_credentials(mockidp).status_code == 200


def test_an_authorize_error_goes_back_to_a_registered_redirect_uri(mockidp: MockIdP) -> None:
    mockidp.fault("authorize", error="login_required", times=2)
    query = {
        "client_id": SEED_CLIENT_ID,
        "redirect_uri": "http://localhost:8001",
        "response_type": "code",
        "state": "s1",
    }
    response = requests.get(mockidp.authorize_url, params=query, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == "http://localhost:8001"
    assert parse_qs(location.query) == {
        "error": ["login_required"],
        "error_description": ["The user must sign in."],
        "state": ["s1"],
    }
    # Never to an unregistered URL: the error is shown instead.
    response = requests.get(
        mockidp.authorize_url,
        params={**query, "redirect_uri": "https://evil.example.com/"},
        allow_redirects=False,
        timeout=10,
    )
    assert (response.status_code, response.json()["error"]) == (400, "login_required")


def test_faults_are_listed_counted_and_deleted(mockidp: MockIdP) -> None:
    first = mockidp.fault("token", error="server_error", times=None)
    second = mockidp.fault("jwks", error="server_error")
    assert [f["id"] for f in mockidp.faults()] == [first.id, second.id]
    client_credentials(mockidp)
    client_credentials(mockidp)
    assert first.hits == 2 and first.active
    first.delete()
    assert client_credentials(mockidp).status_code == 200
    mockidp.clear_faults()
    assert mockidp.faults() == []
    assert requests.get(mockidp.jwks_url, timeout=10).status_code == 200


def test_a_spent_fault_is_still_listed(mockidp: MockIdP) -> None:
    fault = mockidp.fault("token", error="server_error")
    client_credentials(mockidp)
    assert (fault.hits, fault.active) == (1, False)
    assert mockidp.faults()[0]["remaining"] == 0


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"endpoint": "tokens", "error": "invalid_grant"}, "endpoint: must be one of"),
        ({"endpoint": "token", "error": "bad_error"}, "error: unknown error 'bad_error'"),
        ({"endpoint": "token"}, "say what goes wrong"),
        ({"endpoint": "token", "error": "invalid_grant", "drop": True}, "give one of error, status, drop, malformed"),
        ({"endpoint": "token", "status": 99}, "status: must be an HTTP status"),
        ({"endpoint": "token", "delay": -1}, "delay: must be a number of seconds"),
        ({"endpoint": "token", "error": "invalid_grant", "times": 0}, "times: must be a whole number"),
        ({"endpoint": "token", "error": "invalid_grant", "match": {"a": 1}}, "match: must be an object"),
        ({"endpoint": "token", "status": 500, "headers": {"X": "a\r\nb"}}, "headers: must be an object"),
        ({"endpoint": "token", "error": "invalid_grant", "colour": "red"}, "colour: unknown field"),
    ],
)
def test_bad_faults_are_refused_saying_why(mockidp: MockIdP, spec: dict, problem: str) -> None:
    response = requests.post(mockidp.control_url + "/faults", json=spec, timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert any(problem in p for p in body["problems"]), body
    assert mockidp.faults() == []


def test_control_errors_are_json_4xx(mockidp: MockIdP) -> None:
    response = requests.post(mockidp.control_url + "/faults", data=b"{not json", timeout=10)
    assert response.status_code == 400 and "not valid JSON" in response.json()["error_description"]
    assert requests.get(mockidp.control_url + "/faults/fault-999", timeout=10).status_code == 404
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.fault("token")
    assert raised.value.status == 400 and raised.value.problems


def test_control_calls_are_not_journaled_nor_faulted(mockidp: MockIdP) -> None:
    mockidp.fault("any", error="server_error", times=None)
    assert mockidp.faults()  # the control plane still answers
    assert mockidp.requests() == []


def test_a_fault_body_stays_json_when_asked(mockidp: MockIdP) -> None:
    mockidp.fault("token", status=400, body={"error": "custom"}, headers={"Content-Type": "application/problem+json"})
    response = client_credentials(mockidp)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.text) == {"error": "custom"}
