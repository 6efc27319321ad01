"""Each class of malformed input that once answered a 500 or left a traceback in the log, now refused with a
4xx in the identity domain's shape that says what to fix; the last-resort guard for anything unexpected; and
the read deadlines on request heads and bodies."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import mockidp.server
from mockidp.core.domain import IdentityDomain
from mockidp.http_h11 import ShapedH11Protocol
from mockidp.http_protocol import BoundedHttpToolsProtocol
from mockidp.paths import default_fixtures
from mockidp.testing import ControlPlaneError, MockIdP
from mockidp.web.app import create_app
from mockidp.web.context import ServerSettings
from tests.conftest import SEED_CLIENT_ID, SEED_USER
from tests.helpers import SEED_AUTH, assert_error
from tests.raw_http import http_request, send, serving

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CLIENT_AUTH_PATHS = ["/oauth2/v1/token", "/oauth2/v1/introspect", "/oauth2/v1/revoke", "/oauth2/v1/device"]
EVERY_PATH = [
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/idcs-configuration"),
    ("GET", "/admin/v1/SigningCert/jwk"),
    ("GET", "/oauth2/v1/authorize"),
    ("GET", "/oauth2/v1/userinfo"),
    ("GET", "/oauth2/v1/userlogout"),
    ("GET", "/ui/v1/signin"),
    ("GET", "/ui/v1/device"),
    ("POST", "/oauth2/v1/token"),
    ("POST", "/oauth2/v1/introspect"),
    ("POST", "/oauth2/v1/revoke"),
    ("POST", "/oauth2/v1/device"),
    ("GET", "/mockidp/v1/requests"),
]


@pytest.fixture(scope="module")
def idp() -> Iterator[MockIdP]:
    with MockIdP(log_level="info") as server:
        yield server


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.levelname} {r.name}: {r.getMessage()}" for r in bad]


def test_more_than_100_query_parameters_on_every_path(idp: MockIdP, caplog: pytest.LogCaptureFixture) -> None:
    query = "&".join(f"p{i}=1" for i in range(150))
    for method, path in EVERY_PATH:
        response = requests.request(method, f"{idp.url}{path}?{query}", auth=SEED_AUTH, timeout=10)
        assert response.status_code < 500, (path, response.text)
    response = requests.get(f"{idp.url}/oauth2/v1/authorize?{query}", timeout=10)
    assert response.status_code == 400 and "more than 100 parameters" in response.text
    assert idp.requests("authorize")[-1].status == 400  # journaled, without its parameters
    no_errors_logged(caplog)


@pytest.mark.parametrize("path", CLIENT_AUTH_PATHS)
@pytest.mark.parametrize("credentials", [b"Basic \xff\xfe\xfd", b"Basic \xc3\xa9t\xc3\xa9==", b"Basic ?*!"])
def test_basic_credentials_that_are_not_base64_ascii(
    idp: MockIdP, caplog: pytest.LogCaptureFixture, path: str, credentials: bytes
) -> None:
    response = requests.post(
        idp.url + path,
        data={"grant_type": "client_credentials", "token": "x", "response_type": "device_code"},
        headers={"Authorization": credentials},  # type: ignore[dict-item] - bytes go on the wire as they are
        timeout=10,
    )
    assert_error(
        response, 401, "invalid_client", "The Basic credentials are not valid base64 of client_id:client_secret."
    )
    no_errors_logged(caplog)


def test_8_bit_basic_credentials_at_userinfo_are_refused_and_journaled_without_a_traceback(
    idp: MockIdP, caplog: pytest.LogCaptureFixture
) -> None:
    response = requests.get(idp.userinfo_url, headers={"Authorization": b"Basic \xff\xfe"}, timeout=10)  # type: ignore[dict-item]
    assert_error(response, 401, "invalid_token")
    assert idp.requests("userinfo")[-1].client_id is None
    no_errors_logged(caplog)


@pytest.mark.parametrize("header", ["Host", "X-Forwarded-Host"])
@pytest.mark.parametrize("port", ["65536", "99999", "0x50", "\u0663\u0663"])
def test_a_host_port_out_of_range_falls_back_to_the_listening_address(
    idp: MockIdP, caplog: pytest.LogCaptureFixture, header: str, port: str
) -> None:
    response = requests.get(idp.discovery_url, headers={header: f"idp.example:{port}".encode()}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["token_endpoint"] == f"{idp.url}/oauth2/v1/token"
    token = requests.post(
        idp.token_url,
        data={"grant_type": "client_credentials", "scope": "https://orders.example.com/read"},
        auth=SEED_AUTH,
        headers={header: f"idp.example:{port}".encode()},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    no_errors_logged(caplog)


CONTROL_BODIES = [
    (b"[" * 30000 + b"]" * 30000, "nests arrays or objects more than 32 deep"),
    (b'{"a":' * 40 + b"1" + b"}" * 40, "nests arrays or objects more than 32 deep"),
    (b'{"client_id": "x", "ttl": ' + b"9" * 5000 + b"}", "integers must be within ±2^63"),
    (b'{"client_id": "x", "ttl": ' + b"9" * 3000 + b"}", "integers must be within ±2^63"),
    (b'{"seconds": 1e999}', "is too large"),
    (b'{"x": NaN}', "NaN is not JSON"),
    (b'{"x": -Infinity}', "-Infinity is not JSON"),
    (b'{"x": 1, "x": 2}', "The key 'x' appears twice in one object"),
    (b'{"x": "\\udc00"}', "lone UTF-16 surrogate"),
    (b'{"x": "\xff"}', "not valid UTF-8"),
]


@pytest.mark.parametrize(("body", "message"), CONTROL_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/tokens"), ("POST", "/faults"), ("POST", "/clock"), ("PUT", "/clients/c1"), ("PUT", "/users/u1")],
)
def test_control_plane_json_that_nothing_could_use_is_a_400(
    idp: MockIdP, caplog: pytest.LogCaptureFixture, method: str, path: str, body: bytes, message: str
) -> None:
    response = requests.request(
        method, idp.control_url + path, data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "invalid_request" and message in error["error_description"], error
    no_errors_logged(caplog)


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 2**62, "iat": -(2**62)},
        {"nbf": 2**62},
        {"nbf": 1e300},
        {"exp": -1e300},
        {"exp": 2**63},
        {"exp": -(2**63)},
        {"exp": "soon"},
        {"exp": "⏯ not ASCII"},
        {"exp": None},
        {"iat": 1e300, "nbf": -1e300},
    ],
)
def test_tokens_with_times_no_date_can_hold(idp: MockIdP, caplog: pytest.LogCaptureFixture, claims: dict) -> None:
    token = idp.mint_token(SEED_CLIENT_ID, user=SEED_USER, scope="openid", claims=claims)
    userinfo = requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert userinfo.status_code in (200, 401), userinfo.text
    if userinfo.status_code == 401:
        assert_error(userinfo, 401, "invalid_token")
        userinfo.headers["WWW-Authenticate"].encode("ascii")  # RFC 6750: the challenge is ASCII
    introspection = requests.post(idp.introspect_url, data={"token": token}, auth=SEED_AUTH, timeout=10)
    assert introspection.status_code == 200 and introspection.json()["active"] is (userinfo.status_code == 200)
    revocation = requests.post(idp.revoke_url, data={"token": token}, auth=SEED_AUTH, timeout=10)
    assert revocation.status_code == 200, revocation.text
    no_errors_logged(caplog)


@pytest.mark.parametrize("expiry", ["²", "٣٦٠٠", "9" * 5000, "-1", "1e3"])
def test_a_resource_expiry_that_is_not_a_plain_number(
    idp: MockIdP, caplog: pytest.LogCaptureFixture, expiry: str
) -> None:
    response = requests.post(
        idp.token_url,
        data={
            "grant_type": "client_credentials",
            "scope": f"urn:opc:idm:__myscopes__ urn:opc:resource:expiry={expiry}",
        },
        auth=SEED_AUTH,
        timeout=10,
    )
    assert_error(response, 400, "invalid_scope")
    no_errors_logged(caplog)


@pytest.mark.parametrize("limit", ["²", "9" * 5000, "0"])
def test_a_journal_limit_that_is_not_a_plain_number(idp: MockIdP, limit: str) -> None:
    response = requests.get(f"{idp.control_url}/requests", params={"limit": limit}, timeout=10)
    assert response.status_code == 400 and "limit: must be a whole number" in response.json()["error_description"]


def test_a_time_out_of_range_is_named_in_the_message(idp: MockIdP) -> None:
    token = idp.mint_token(SEED_CLIENT_ID, user=SEED_USER, scope="openid", claims={"nbf": 1e300})
    response = requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert_error(response, 401, "invalid_token", "The token is not valid before Unix time 1e+300.")


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1f", "\x7f", "\x85"])
def test_control_characters_in_run_time_user_names_and_client_ids(idp: MockIdP, character: str) -> None:
    with pytest.raises(ControlPlaneError) as refused:
        idp.add_user(f"al{character}ice", password="x")
    assert refused.value.status == 400
    assert refused.value.problems == [
        f"body: user.user_name: must not contain control characters; {'al' + character + 'ice'!r} has "
        f"U+{ord(character):04X} at position 2"
    ]
    with pytest.raises(ControlPlaneError) as refused:
        idp.add_client(f"c{character}1", client_secret="s", grant_types=["client_credentials"])
    assert refused.value.status == 400
    assert any("client.client_id: must not contain control characters" in p for p in refused.value.problems)


# ---------------------------------------------------------------------------------------------- the last resort


async def broken(request: Request) -> Response:
    raise RuntimeError("a bug for the test")


@pytest.fixture(scope="module")
def broken_server() -> Iterator[int]:
    """The real app, with one route of the test's own that fails the way a bug would."""
    app = create_app([IdentityDomain.load(default_fixtures())], ServerSettings())
    for path in ("/oauth2/v1/broken", "/admin/v1/Broken", "/mockidp/broken"):
        app.router.routes.insert(0, Route(path, broken))
    with serving(app) as port:
        yield port


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("/oauth2/v1/broken", {"error", "error_description", "ecid"}),
        (
            "/admin/v1/Broken",
            {"schemas", "detail", "status", "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error"},
        ),
        ("/mockidp/broken", {"error", "error_description"}),
    ],
)
def test_an_unexpected_exception_answers_500_in_the_shape_and_is_logged_once(
    broken_server: int, caplog: pytest.LogCaptureFixture, path: str, keys: set[str]
) -> None:
    caplog.set_level(logging.INFO)
    response = requests.get(f"http://127.0.0.1:{broken_server}{path}", timeout=10)
    assert response.status_code == 500
    body = response.json()
    assert set(body) == keys, body
    assert "Traceback" not in response.text and "a bug for the test" not in response.text
    assert response.headers["X-ORACLE-DMS-ECID"]
    if "ecid" in body:
        assert body["ecid"] == response.headers["X-ORACLE-DMS-ECID"]
    deadline = time.monotonic() + 5  # logged once the answer is out (Starlette answers, then re-raises)
    while not (errors := [r for r in caplog.records if r.levelno >= logging.ERROR]) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # and no second record after it
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].getMessage() == f"unexpected error on GET {path}"
    assert errors[0].exc_info is not None and "a bug for the test" in str(errors[0].exc_info[1])


# ---------------------------------------------------------------------------------------------- read deadlines

DEADLINE = 0.5


@pytest.fixture(scope="module", params=["httptools", "h11"])
def deadlines(request: pytest.FixtureRequest) -> Iterator[int]:
    """A server with short deadlines, on each HTTP protocol mockidp serves with (h11 where httptools is missing)."""
    protocol = BoundedHttpToolsProtocol if request.param == "httptools" else ShapedH11Protocol
    app = create_app([IdentityDomain.load(default_fixtures())], ServerSettings(body_timeout=DEADLINE))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mockidp.server, "HTTP_PROTOCOL", protocol)
        with serving(app, head_timeout=DEADLINE) as port:
            yield port


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_connection_that_sends_nothing_is_closed_after_the_head_deadline(deadlines: int) -> None:
    with socket.create_connection(("127.0.0.1", deadlines), timeout=10) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""
        assert DEADLINE <= time.monotonic() - started < DEADLINE + 2


def test_a_head_that_does_not_end_gets_408(deadlines: int) -> None:
    with socket.create_connection(("127.0.0.1", deadlines), timeout=10) as sock:
        sock.sendall(b"GET /oauth2/v1/userinfo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and b"connection: close" in head.lower()
    error = json.loads(body)
    assert set(error) == {"error", "error_description", "ecid"}
    assert error["error_description"] == f"The request line and headers did not arrive within {DEADLINE:g} seconds."


@pytest.mark.parametrize(
    ("path", "content_type", "shape"),
    [
        ("/oauth2/v1/token", b"application/x-www-form-urlencoded", {"error", "error_description", "ecid"}),
        ("/mockidp/v1/tokens", b"application/json", {"error", "error_description"}),
    ],
)
def test_a_body_that_does_not_end_gets_408_and_the_connection_closes(
    deadlines: int, path: str, content_type: bytes, shape: set[str]
) -> None:
    with socket.create_connection(("127.0.0.1", deadlines), timeout=10) as sock:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: 100\r\n\r\ngrant"
            % (path.encode(), content_type)
        )
        started = time.monotonic()
        answer = read_all(sock)
        elapsed = time.monotonic() - started
    assert DEADLINE <= elapsed < DEADLINE + 2
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and b"connection: close" in head.lower(), head
    error = json.loads(body)
    assert set(error) == shape, error
    assert "did not arrive within 0.5 seconds" in error["error_description"]


def test_a_body_in_time_is_served_on_the_deadline_server(deadlines: int) -> None:
    body = b"grant_type=client_credentials&scope=https%3A%2F%2Forders.example.com%2Fread"
    basic = requests.auth._basic_auth_str(*SEED_AUTH).encode()  # type: ignore[attr-defined]
    answer = send(
        deadlines,
        http_request(
            "POST",
            b"/oauth2/v1/token",
            [(b"Authorization", basic), (b"Content-Type", FORM["Content-Type"].encode())],
            body,
        ),
    )
    assert answer.status == 200, answer.raw


# ---------------------------------------------------------------------------------------------- the admin API


@pytest.fixture(scope="module")
def admin_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockIdP, str]]:
    from tests.admin_support import client_token, write_admin_fixtures

    with MockIdP(write_admin_fixtures(tmp_path_factory.mktemp("admin")), log_level="info") as server:
        yield server, client_token(server)


@pytest.mark.parametrize(("body", "message"), CONTROL_BODIES)
def test_admin_api_json_that_nothing_could_use_is_the_scim_400(
    admin_idp: tuple[MockIdP, str], caplog: pytest.LogCaptureFixture, body: bytes, message: str
) -> None:
    idp, token = admin_idp
    response = requests.post(
        f"{idp.url}/admin/v1/Users",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=10,
    )
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["status"] == "400" and message in error["detail"], error
    assert error["urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error"]["messageId"] == (
        "error.common.common.invalidSyntax"
    )
    no_errors_logged(caplog)


def test_admin_api_body_deadline_is_the_scim_408(tmp_path: Path) -> None:
    from tests.admin_support import client_token, write_admin_fixtures

    domain = IdentityDomain.load(write_admin_fixtures(tmp_path))
    app = create_app([domain], ServerSettings(body_timeout=DEADLINE))
    with serving(app) as port:
        idp = MockIdP.attach(f"http://127.0.0.1:{port}")
        token = client_token(idp)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /admin/v1/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                b"Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{" % token.encode()
            )
            answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and b"connection: close" in head.lower(), head
    error = json.loads(body)
    assert error["status"] == "408" and "did not arrive within 0.5 seconds" in error["detail"], error
