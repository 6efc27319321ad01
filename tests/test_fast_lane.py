"""The fast lane (web/fast_lane.py) answers as the general way does: the same requests, sent to one server with
the lane and one without, get the same status, headers, body (the ECID and a token's per-issue values aside) and
journal entry — for answers the lane gives and for the requests it hands on (CORS, faults, odd bodies)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests

from mockidp.core.domain import IdentityDomain
from mockidp.paths import default_fixtures
from mockidp.web.app import create_app
from mockidp.web.context import ServerSettings
from mockidp.web.fast_lane import FastLane
from tests.conftest import PASSWORD, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER, TENANT
from tests.raw_http import http_request, send, serving

TOKEN = "/oauth2/v1/token"
JWKS = "/admin/v1/SigningCert/jwk"
BASIC = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)
ORIGIN = "https://spa.example.com"
PER_ISSUE = {"access_token", "id_token", "refresh_token"}  # differ on every issue: compared by their claims' names
VOLATILE_HEADERS = {"x-oracle-dms-ecid", "date"}
VOLATILE_JOURNAL = {"id", "time", "duration_ms"}


@dataclass
class Server:
    url: str
    port: int
    lane: FastLane | None

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/mockidp/v1{path}", timeout=10, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


@contextlib.contextmanager
def server(fast_lane: bool) -> Iterator[Server]:
    app = create_app([IdentityDomain.load(default_fixtures())], ServerSettings(fast_lane=fast_lane, body_timeout=1.0))
    with serving(app) as port:
        url = f"http://127.0.0.1:{port}"
        requests.get(url + "/.well-known/openid-configuration", timeout=10)  # builds the middleware stack
        stack: Any = app.middleware_stack
        yield Server(url, port, stack.app if isinstance(stack.app, FastLane) else None)


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Server, Server]]:
    with server(True) as fast, server(False) as general:
        assert fast.lane is not None and general.lane is None
        yield fast, general


def normalized(response: requests.Response) -> dict[str, Any]:
    """What must be equal both ways: the status, the headers, the body with per-issue values reduced to shape."""
    headers = {name.lower(): value for name, value in response.headers.items() if name.lower() not in VOLATILE_HEADERS}
    ecid = response.headers.get("x-oracle-dms-ecid")
    assert ecid, "every answer carries an ECID"
    body: Any = response.content
    if response.content and response.headers.get("content-type", "").startswith(
        ("application/json", "application/scim+json")
    ):
        body = response.json()
        if isinstance(body, dict):
            if "ecid" in body:
                assert body.pop("ecid") == ecid, "an error body repeats the ECID of its headers"
            for name in PER_ISSUE & body.keys():
                claims = jwt.decode(body[name], options={"verify_signature": False})
                body[name] = sorted(claims)
        headers.pop("content-length", None)  # a token's length varies with its jti
    return {"status": response.status_code, "headers": headers, "body": body}


def last_entry(server: Server) -> dict[str, Any]:
    entry = server.control("GET", "/requests", params={"limit": 1})["requests"][-1]
    return {name: value for name, value in entry.items() if name not in VOLATILE_JOURNAL}


Send = Callable[[str], requests.Response]

CASES: dict[str, tuple[Send, bool]] = {  # name: (request, answered in the fast lane)
    "client_credentials, Basic": (
        lambda url: requests.post(
            url + TOKEN,
            data={"grant_type": "client_credentials", "scope": "https://orders.example.com/read"},
            auth=BASIC,
            timeout=10,
        ),
        True,
    ),
    "client_credentials without a scope": (
        lambda url: requests.post(url + TOKEN, data={"grant_type": "client_credentials"}, auth=BASIC, timeout=10),
        True,
    ),
    "client_credentials with a scope, secret in the body": (
        lambda url: requests.post(
            url + TOKEN,
            data={
                "grant_type": "client_credentials",
                "scope": "https://orders.example.com/read",
                "client_id": SEED_CLIENT_ID,
                "client_secret": SEED_CLIENT_SECRET,
            },
            timeout=10,
        ),
        True,
    ),
    "password grant": (
        lambda url: requests.post(
            url + TOKEN,
            data={"grant_type": "password", "username": SEED_USER, "password": PASSWORD, "scope": "openid"},
            auth=BASIC,
            timeout=10,
        ),
        True,
    ),
    "wrong secret": (
        lambda url: requests.post(
            url + TOKEN, data={"grant_type": "client_credentials"}, auth=(SEED_CLIENT_ID, "wrong"), timeout=10
        ),
        True,
    ),
    "unknown grant type": (
        lambda url: requests.post(url + TOKEN, data={"grant_type": "magic"}, auth=BASIC, timeout=10),
        True,
    ),
    "no parameters": (
        lambda url: requests.post(
            url + TOKEN, data=b"", auth=BASIC, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10
        ),
        True,
    ),
    "an unknown scope": (
        lambda url: requests.post(
            url + TOKEN, data={"grant_type": "client_credentials", "scope": "nope"}, auth=BASIC, timeout=10
        ),
        True,
    ),
    "a query string beside the form": (
        lambda url: requests.post(
            url + TOKEN + "?trace=1", data={"grant_type": "client_credentials"}, auth=BASIC, timeout=10
        ),
        True,
    ),
    "JWKS": (lambda url: requests.get(url + JWKS, timeout=10), True),
    # handed on to the general way:
    "a repeated parameter": (
        lambda url: requests.post(
            url + TOKEN,
            data="grant_type=client_credentials&grant_type=password",
            auth=BASIC,
            timeout=10,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        False,
    ),
    "a JSON body": (
        lambda url: requests.post(url + TOKEN, json={"grant_type": "client_credentials"}, auth=BASIC, timeout=10),
        False,
    ),
    "a body that is not UTF-8": (
        lambda url: requests.post(
            url + TOKEN,
            data=b"grant_type=\xff",
            auth=BASIC,
            timeout=10,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        False,
    ),
    "a body sent in chunks": (
        lambda url: requests.post(
            url + TOKEN,
            data=iter([b"grant_type=", b"client_credentials"]),
            auth=BASIC,
            timeout=10,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        False,
    ),
    "a body over the limit": (
        lambda url: requests.post(
            url + TOKEN, data={"grant_type": "client_credentials", "pad": "x" * 70_000}, auth=BASIC, timeout=10
        ),
        False,
    ),
    "a browser's token request (CORS)": (
        lambda url: requests.post(
            url + TOKEN, data={"grant_type": "client_credentials"}, auth=BASIC, headers={"Origin": ORIGIN}, timeout=10
        ),
        False,
    ),
    "a browser's JWKS request (CORS)": (
        lambda url: requests.get(url + JWKS, headers={"Origin": ORIGIN}, timeout=10),
        False,
    ),
    "the token endpoint under /tenants/": (
        lambda url: requests.post(
            f"{url}/tenants/{TENANT}{TOKEN}", data={"grant_type": "client_credentials"}, auth=BASIC, timeout=10
        ),
        False,
    ),
    "HEAD of the JWKS": (lambda url: requests.head(url + JWKS, timeout=10), False),
}


@pytest.mark.parametrize("name", CASES)
def test_the_same_answer_and_journal_entry_either_way(pair: tuple[Server, Server], name: str) -> None:
    fast, general = pair
    request, in_lane = CASES[name]
    assert fast.lane is not None
    before = fast.lane.answered
    answers = [normalized(request(server.url)) for server in (fast, general)]
    assert answers[0] == answers[1]
    assert fast.lane.answered == before + (1 if in_lane else 0), "the lane took (or left) the request as expected"
    assert last_entry(fast) == last_entry(general)


def test_a_queued_fault_is_applied_as_the_general_way_applies_it(pair: tuple[Server, Server]) -> None:
    for server in pair:
        server.control("POST", "/faults", json={"endpoint": "token", "error": "temporarily_unavailable", "times": 1})
    fast, general = pair
    assert fast.lane is not None
    before = fast.lane.answered
    send_token = CASES["client_credentials, Basic"][0]
    faulted = [normalized(send_token(server.url)) for server in pair]
    assert faulted[0] == faulted[1]
    assert faulted[0]["status"] == 503 and faulted[0]["body"]["error"] == "temporarily_unavailable"
    assert fast.lane.answered == before  # the interceptor applied it
    assert last_entry(fast) == last_entry(general)
    after = [normalized(send_token(server.url)) for server in pair]  # used up: the real answer, in the lane again
    assert after[0] == after[1] and after[0]["status"] == 200
    assert fast.lane.answered == before + 1


def test_a_body_that_never_comes_is_refused_in_time(pair: tuple[Server, Server]) -> None:
    """The lane reads the body under the same deadline; the general way, handed a body that stopped, says 408."""
    head_only = http_request("POST", TOKEN.encode(), [(b"Content-Type", b"application/x-www-form-urlencoded")])
    head_only = head_only.replace(b"Content-Length: 0", b"Content-Length: 30")
    for port in (server.port for server in pair):
        answer = send(port, head_only, timeout=30)
        assert answer.status == 408, answer.raw
        assert json.loads(answer.body)["error"] == "invalid_request"


def test_the_journal_times_a_lane_answer_from_the_request_on(pair: tuple[Server, Server]) -> None:
    """`duration_ms` covers the handling (an RS256 signature alone is over 0.1 ms), not only the journal write."""
    for server in pair:
        response = CASES["client_credentials, Basic"][0](server.url)
        assert response.status_code == 200
        entry = server.control("GET", "/requests", params={"limit": 1})["requests"][-1]
        assert entry["duration_ms"] > 0.1, entry
