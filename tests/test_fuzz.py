"""Property-based fuzz of the identity-domain endpoints, over a real socket with raw HTTP bytes.

Hypothesis makes form bodies, query strings, headers (Authorization, Host and X-Forwarded-*, Content-Type,
Origin), cookies, odd methods, path parameters, control-plane JSON and whole malformed requests; each goes
to a real server as bytes on a socket. Whatever comes in, every answer must be complete, below 500, without a
traceback, in the error shape of the part of the domain asked (`{"error", "error_description", "ecid"}` on
the identity domain, SCIM under /admin/v1, the control plane's under /mockidp/v1), and the server log must
hold no error and no traceback. Derandomized and with fixed example counts: the same examples on every run,
a few seconds in all (the control plane's OpenAPI fuzz is in test_control_openapi.py).
"""

from __future__ import annotations

import base64
import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockidp.core.domain import IdentityDomain
from mockidp.paths import default_fixtures
from mockidp.web.app import create_app
from mockidp.web.context import ServerSettings
from tests.conftest import PUBLIC_CLIENT_ID, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER, TENANT
from tests.helpers import LogRecorder
from tests.raw_http import Answer, http_request, serving
from tests.raw_http import send as send_bytes

READ_TIMEOUT = 1.0  # head and body deadlines of the fuzzed server: a request the fuzz leaves unfinished ends soon
FUZZ = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

FORM_PATHS = [
    "/oauth2/v1/token",
    "/oauth2/v1/introspect",
    "/oauth2/v1/revoke",
    "/oauth2/v1/device",
    "/oauth2/v1/authorize",
    "/oauth2/v1/userinfo",
    "/oauth2/v1/userlogout",
    "/ui/v1/signin",
    "/ui/v1/device",
]
GET_PATHS = [
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/.well-known/idcs-configuration",
    "/oauth2/v1/authorize",
    "/oauth2/v1/userinfo",
    "/oauth2/v1/userlogout",
    "/admin/v1/SigningCert/jwk",
    "/ui/v1/signin",
    "/ui/v1/device",
    "/oauth2/v1/nothing-here",
    "/tenants/idcs-nobody/oauth2/v1/token",
    f"/tenants/{TENANT}/oauth2/v1/userinfo",
    f"/tenants/{TENANT}/mockidp/v1/requests",
]
PAGES = ("/oauth2/v1/authorize", "/oauth2/v1/userlogout", "/ui/v1/")  # may answer an HTML error page
PARAMS = [
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "username",
    "password",
    "assertion",
    "client_assertion",
    "client_assertion_type",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "public_key",
    "actor_token",
    "token",
    "token_type_hint",
    "device_code",
    "user_code",
    "response_type",
    "response_mode",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "max_age",
    "id_token_hint",
    "post_logout_redirect_uri",
    "request_id",
    "csrf_token",
    "access_token",
    "resource",
    "action",
]
VALUES = [
    "client_credentials",
    "authorization_code",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    "urn:oci:token-type:oci-upst",
    "jwt",
    SEED_CLIENT_ID,
    PUBLIC_CLIENT_ID,
    SEED_USER,
    "Welcome1!",
    "openid",
    "openid offline_access profile email",
    "https://orders.example.com/read",
    "urn:opc:idm:__myscopes__ urn:opc:resource:expiry=99999999999999999999",
    "openid urn:opc:resource:expiry=²",
    "urn:opc:resource:expiry=" + "9" * 5000,
    "http://localhost:8001",
    "https://orders.example.com/",
    "https://mcp-client.example.com/oauth/client.json",
    "http://127.0.0.1:1/client.json",
    "code",
    "code id_token token",
    "form_post",
    "fragment",
    "S256",
    "plain",
    "none",
    "login",
    "-1",
    "1e400",
    "9" * 5000,
    "a.b.c",
    "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.",
    "\x00",
    "\u202e",
    "\ud7ff",
]
SEED_BASIC = b"Basic " + base64.b64encode(f"{SEED_CLIENT_ID}:{SEED_CLIENT_SECRET}".encode())


# ---------------------------------------------------------------------------------------------- the server


@dataclass
class Fuzzed:
    port: int
    log: LogRecorder
    tokens: list[str]
    admin_token: str = ""
    seen: Counter = field(default_factory=Counter)  # (status, error) of the answers in the current test

    def reached(self, at_least: int) -> None:
        """The fuzz was not only refused at the door: its answers came from many places."""
        assert len(self.seen) >= at_least, self.seen


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Fuzzed]:
    """A server of its own on the default fixtures (the fuzz adds users and moves its clock), with read
    deadlines of one second, and everything it logs recorded."""
    recorder = LogRecorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    domain = IdentityDomain.load(default_fixtures())
    app = create_app([domain], ServerSettings(body_timeout=READ_TIMEOUT))
    try:
        with serving(app, head_timeout=READ_TIMEOUT) as port:
            fuzzed = Fuzzed(port, recorder, [])
            fuzzed.tokens = _tokens(fuzzed)
            fuzzed.admin_token = _admin_token(fuzzed)
            yield fuzzed
    finally:
        root.removeHandler(recorder)


ADMIN_CLIENT, ADMIN_SECRET = "f0a1b2c3d4e5f60718293a4b5c6d7e8f", "fuzz-admin-secret"


def _admin_token(fuzzed: Fuzzed) -> str:
    """A client token of an Identity Domain Administrator added at run time, for the admin API."""
    client = {
        "client_secret": ADMIN_SECRET,
        "grant_types": ["client_credentials"],
        "app_roles": ["Identity Domain Administrator"],
    }
    answer = send(fuzzed, control_request("PUT", f"/clients/{ADMIN_CLIENT}", json.dumps(client).encode()))
    assert answer.status == 201, answer
    basic = b"Basic " + base64.b64encode(f"{ADMIN_CLIENT}:{ADMIN_SECRET}".encode())
    form = [(b"Authorization", basic), (b"Content-Type", b"application/x-www-form-urlencoded")]
    body = encode_form([("grant_type", "client_credentials"), ("scope", "urn:opc:idm:__myscopes__")])
    answer = send(fuzzed, http_request("POST", b"/oauth2/v1/token", form, body))
    assert answer.status == 200, answer
    return json.loads(answer.body)["access_token"]


def _tokens(fuzzed: Fuzzed) -> list[str]:
    """Real tokens of this domain, some with times no date can hold, for the fuzz to present anywhere."""
    minted = []
    for user, claims in [
        (SEED_USER, {}),
        (None, {}),
        (SEED_USER, {"exp": 2**62, "iat": -(2**62)}),
        (SEED_USER, {"nbf": 2**62}),
        (SEED_USER, {"exp": 1e300, "nbf": -1e300}),
        (SEED_USER, {"exp": "tomorrow"}),
    ]:
        body = {"client_id": SEED_CLIENT_ID, "claims": claims, **({"user": user} if user else {})}
        answer = send(fuzzed, control_request("POST", "/tokens", json.dumps(body).encode()))
        assert answer.status == 201, answer
        minted.append(json.loads(answer.body)["token"])
    return minted


# ---------------------------------------------------------------------------------------------- requests


def send(fuzzed: Fuzzed, data: bytes) -> Answer:
    return send_bytes(fuzzed.port, data)


def control_request(method: str, path: str, body: bytes = b"") -> bytes:
    headers = [(b"Content-Type", b"application/json")] if body else []
    return http_request(method, b"/mockidp/v1" + path.encode("utf-8", "surrogateescape"), headers, body)


def _what(body: bytes) -> str:
    """What an answer said, roughly: its error and the start of its description (or of the page)."""
    try:
        error = json.loads(body)
    except ValueError:
        return body[:60].decode("latin-1")
    if not isinstance(error, dict):
        return "json"
    return f"{error.get('error')}: {str(error.get('error_description', error.get('detail', '')))[:24]}"


def check(fuzzed: Fuzzed, path: str, answer: Answer, sent: bytes, *, shape_of_body: bool = True) -> None:
    """No 5xx, no traceback, and errors in the shape of the part of the domain asked."""
    if path.startswith("/tenants/"):  # /tenants/<tenant>/… is that domain's …
        path = "/" + path.split("/", 3)[3]
    where = f"request {sent[:300]!r}\nanswer {answer.raw[:600]!r}"
    assert answer.status is not None, f"no complete answer\n{where}"
    assert answer.status < 500, where
    assert b"Traceback" not in answer.raw and b'File "' not in answer.raw, where
    failures = fuzzed.log.failures()
    assert not failures, f"the server logged {failures}\n{where}"
    fuzzed.seen[(answer.status, _what(answer.body))] += 1
    if shape_of_body is False:
        return
    if answer.status < 400 or (answer.status == 405 and answer.headers.get("content-type", "").startswith("text")):
        return
    media = answer.headers.get("content-type", "")
    if media.startswith("text/html"):
        assert path.startswith(PAGES), f"an HTML error outside the browser pages\n{where}"
        return
    assert media.startswith(("application/json", "application/scim+json")), where
    error = json.loads(answer.body)
    if "not valid HTTP" in error.get("error_description", "") or "did not arrive" in error.get("error_description", ""):
        assert set(error) == {"error", "error_description", "ecid"}, where  # the protocol layer's own answers
    elif path.startswith("/mockidp/"):
        assert {"error", "error_description"} <= set(error) <= {"error", "error_description", "problems", "ecid"}
        assert isinstance(error["error_description"], str) and error["error_description"], where
    elif path.startswith("/admin/v1/") and "schemas" in error:
        assert set(error) >= {"schemas", "detail", "status"}, where
        assert error["status"] == str(answer.status), where
    elif path.startswith("/admin/v1/") and not path.startswith("/admin/v1/SigningCert/"):
        raise AssertionError(f"an admin API error outside the SCIM shape\n{where}")
    else:
        assert set(error) == {"error", "error_description", "ecid"}, where
        assert error["ecid"] == answer.headers.get("x-oracle-dms-ecid"), where
        assert error["error_description"].endswith("."), where


# ---------------------------------------------------------------------------------------------- strategies

latin1 = st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
huge = st.sampled_from(
    ["x" * 70_000, "é" * 30_000, "%FF" * 20_000, "a.b." * 15_000]
)  # past the 64 KiB body limit, or near it
texts = st.one_of(st.sampled_from(VALUES), st.text(max_size=60), latin1, huge)
names = st.one_of(st.sampled_from(PARAMS), st.text(max_size=12))
many_params = st.integers(95, 140).map(lambda n: [(f"p{i}", "1") for i in range(n)])
param_lists = st.one_of(st.lists(st.tuples(names, texts), max_size=10), many_params)
header_bytes = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


PARAMS_FOR = {
    "/oauth2/v1/token": [
        "grant_type",
        "scope",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "username",
        "password",
        "assertion",
        "client_assertion",
        "client_assertion_type",
        "subject_token",
        "subject_token_type",
        "requested_token_type",
        "public_key",
        "device_code",
        "client_id",
        "client_secret",
        "resource",
    ],
    "/oauth2/v1/introspect": ["token", "token_type_hint", "client_id", "client_secret"],
    "/oauth2/v1/revoke": ["token", "token_type_hint", "client_id", "client_secret"],
    "/oauth2/v1/device": ["response_type", "scope", "client_id", "resource"],
    "/oauth2/v1/authorize": [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
        "prompt",
        "login_hint",
        "max_age",
        "resource",
    ],
    "/oauth2/v1/userinfo": ["access_token"],
    "/oauth2/v1/userlogout": ["post_logout_redirect_uri", "state", "id_token_hint"],
    "/ui/v1/signin": ["request_id", "username", "password", "csrf_token", "action"],
    "/ui/v1/device": ["user_code", "action"],
}
for _path in GET_PATHS:
    PARAMS_FOR.setdefault(_path, ["state"])


@st.composite
def params_for(draw: st.DrawFn, fuzzed: Fuzzed, path: str) -> list[tuple[str, str]]:
    """Mostly the parameters the endpoint reads, with good, odd and real-token values; sometimes junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(param_lists)
    values = st.one_of(st.sampled_from(VALUES), st.sampled_from(fuzzed.tokens), texts)
    params = [(name, draw(values)) for name in PARAMS_FOR[path] if draw(st.integers(0, 2)) == 0]
    params += draw(st.lists(st.tuples(names, texts), max_size=2))
    return draw(st.permutations(params))


def authorization(fuzzed: Fuzzed) -> st.SearchStrategy[bytes | None]:
    return st.one_of(
        st.none(),
        st.just(SEED_BASIC),
        st.just(SEED_BASIC),
        st.binary(max_size=40).map(lambda b: b"Basic " + base64.b64encode(b)),
        header_bytes.map(lambda b: b"Basic " + b),
        header_bytes.map(lambda b: b"Bearer " + b),
        st.sampled_from(fuzzed.tokens).map(lambda t: b"Bearer " + t.encode()),
        header_bytes,
    )


hosts = st.one_of(
    st.none(),
    st.integers(0, 10**6).map(lambda port: b"a.example:%d" % port),
    st.sampled_from(
        [b"", b"[::1]:99999", b"[zz]", b"idcs-c87b18d47f4b46798f61e82aaf3154c0.localhost:8000", b":", b"a:b"]
    ),
    header_bytes,
)
cookies = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    header_bytes,
    header_bytes.map(lambda b: b"mockidp_session=" + b),
    st.text(max_size=30).map(lambda t: ("mockidp_session=" + t).encode("utf-8", "surrogateescape")),
)
content_types = st.one_of(
    st.just(b"application/x-www-form-urlencoded"),
    st.just(b"application/x-www-form-urlencoded"),
    st.just(b"application/x-www-form-urlencoded"),
    st.sampled_from(
        [b"application/json", b"multipart/form-data; boundary=x", b"application/x-www-form-urlencoded; charset=\xff"]
    ),
    header_bytes,
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "PROPFIND"])


def json_containers(children: st.SearchStrategy) -> st.SearchStrategy:
    keys = st.one_of(st.sampled_from(PARAMS), st.text(max_size=8))
    return st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5)


json_scalars = st.none() | st.booleans() | st.integers(-(10**40), 10**40) | st.floats() | st.text(max_size=20)
json_values = st.recursive(json_scalars, json_containers, max_leaves=20)


def encode_form(params: list[tuple[str, str]]) -> bytes:
    return urlencode(params, encoding="utf-8", errors="surrogateescape").encode()


def optional(name: bytes, value: bytes | None) -> list[tuple[bytes, bytes]]:
    return [] if value is None else [(name, value)]


# ---------------------------------------------------------------------------------------------- the fuzz


def test_form_posts(fuzzed: Fuzzed) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(FORM_PATHS))
        params = data.draw(params_for(fuzzed, path))
        body = encode_form(params) if data.draw(st.integers(0, 5)) else data.draw(st.binary(max_size=200))
        headers = [
            *optional(b"Content-Type", data.draw(content_types)),
            *optional(b"Authorization", data.draw(authorization(fuzzed))),
            *optional(b"Cookie", data.draw(cookies)),
        ]
        sent = http_request("POST", path.encode(), headers, body)
        check(fuzzed, path, send(fuzzed, sent), sent)

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(8)


def test_query_strings(fuzzed: Fuzzed) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(GET_PATHS))
        query = data.draw(
            st.one_of(
                params_for(fuzzed, path).map(lambda p: encode_form(p)),
                st.binary(max_size=120).map(lambda b: quote(b, safe="=&").encode()),
                header_bytes.map(lambda b: b.replace(b" ", b"").replace(b"#", b"")),
            )
        )
        headers = optional(b"Authorization", data.draw(authorization(fuzzed)))
        sent = http_request("GET", path.encode() + b"?" + query, headers)
        check(fuzzed, path, send(fuzzed, sent), sent)

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(6)


def test_headers_cookies_and_methods(fuzzed: Fuzzed) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(FORM_PATHS + GET_PATHS))
        method = data.draw(methods)
        extra = data.draw(
            st.lists(
                st.tuples(
                    st.sampled_from(
                        [
                            b"X-Forwarded-Host",
                            b"X-Forwarded-Proto",
                            b"Origin",
                            b"Access-Control-Request-Method",
                            b"Accept",
                        ]
                    ),
                    header_bytes,
                ),
                max_size=3,
            )
        )
        headers = [
            *optional(b"Authorization", data.draw(authorization(fuzzed))),
            *optional(b"Cookie", data.draw(cookies)),
            *optional(b"Content-Type", data.draw(st.one_of(st.none(), content_types))),
            *extra,
        ]
        body = encode_form(data.draw(param_lists)) if method in ("POST", "PUT", "PATCH") else b""
        sent = http_request(method, path.encode(), headers, body, host=data.draw(hosts))
        check(fuzzed, path, send(fuzzed, sent), sent, shape_of_body=method != "HEAD")  # HEAD: no body to judge

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(8)


ODD_REQUESTS = [
    b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET http://elsewhere.example/oauth2/v1/userinfo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /oauth2/v1/userinfo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
    b"Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"GET /oauth2/v1/userinfo HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, close\r\n\r\n",
    b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nConnection: close\r\n\r\nab=cd",
    b"GET /oauth2/v1/userinfo HTTP/1.0\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
]


def test_odd_but_parseable_requests(fuzzed: Fuzzed) -> None:
    """Methods, targets and upgrades that HTTP/1.1 allows but no endpoint here takes."""
    for sent in ODD_REQUESTS:
        check(fuzzed, "/", send(fuzzed, sent), sent, shape_of_body=False)


def test_malformed_requests(fuzzed: Fuzzed) -> None:
    """Requests broken at the HTTP level: bytes in the method, target, version, header names and values."""

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        method = data.draw(st.one_of(methods.map(str.encode), st.binary(min_size=1, max_size=8)))
        target = data.draw(
            st.one_of(st.sampled_from([p.encode() for p in FORM_PATHS]), st.binary(min_size=1, max_size=40))
        )
        version = data.draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1x", b""]))
        header_lines = data.draw(
            st.lists(
                st.one_of(
                    st.tuples(header_bytes, header_bytes).map(lambda nv: nv[0] + b": " + nv[1]),
                    header_bytes,
                    st.just(b"Transfer-Encoding: chunked\r\n\r\nzz"),
                    st.just(b"Content-Length: -1"),
                    st.just(b"Content-Length: 99999999999999999999"),
                ),
                max_size=4,
            )
        )
        sent = b" ".join(part for part in (method, target, version) if part) + b"\r\nHost: 127.0.0.1\r\n"
        sent += b"".join(line + b"\r\n" for line in header_lines) + b"Connection: close\r\n\r\n"
        answer = send(fuzzed, sent)
        if answer.status is None and not answer.raw:
            # Closed without an answer: only for bytes that never formed a request head (then the head deadline
            # ends the connection). Anything that reached the application must have been answered.
            assert fuzzed.log.failures() == []
            return
        check(fuzzed, "/", answer, sent)

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(3)


CONTROL_PATHS = st.one_of(
    st.sampled_from(["/faults", "/clock", "/tokens", "/requests", "/users", "/clients", "/resources", "/keys"]),
    st.tuples(
        st.sampled_from(["/users/", "/clients/", "/resources/", "/faults/", "/keys/"]),
        st.text(min_size=1, max_size=20),
    ).map(lambda pair: pair[0] + quote(pair[1], safe="", errors="surrogateescape")),
)


def test_control_plane_json_and_path_parameters(fuzzed: Fuzzed) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        path = data.draw(CONTROL_PATHS)
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
        if method == "DELETE" and path in ("/faults", "/requests"):
            method = "GET"
        body = data.draw(
            st.one_of(
                json_values.map(lambda v: json.dumps(v).encode()),
                st.sampled_from(
                    [
                        b"[" * 30000,
                        b'{"a": 1, "a": 2}',
                        b'{"action": "advance", "seconds": ' + b"9" * 5000 + b"}",
                        b'"\\ud800"',
                    ]
                ),
                st.binary(max_size=60),
            )
        )
        sent = control_request(method, path, body)
        check(fuzzed, "/mockidp/v1" + path, send(fuzzed, sent), sent)
        send(fuzzed, control_request("DELETE", "/faults"))  # a fault the fuzz queued must not answer the next example

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(6)


def test_tokens_with_any_times(fuzzed: Fuzzed) -> None:
    """A real token of this domain whose exp, iat or nbf is anything JSON can carry."""

    @FUZZ
    @given(
        claims=st.dictionaries(
            st.sampled_from(["exp", "iat", "nbf"]),
            st.one_of(
                st.integers(-(2**63), 2**63),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=5),
                st.none(),
            ),
            min_size=1,
        ),
        endpoint=st.sampled_from(["/oauth2/v1/userinfo", "/oauth2/v1/introspect", "/oauth2/v1/revoke"]),
    )
    def fuzz(claims: dict, endpoint: str) -> None:
        minted = send(
            fuzzed,
            control_request(
                "POST",
                "/tokens",
                json.dumps({"client_id": SEED_CLIENT_ID, "user": SEED_USER, "claims": claims}).encode(),
            ),
        )
        check(fuzzed, "/mockidp/v1/tokens", minted, b"mint")
        if minted.status != 201:
            return
        token = json.loads(minted.body)["token"]
        if endpoint.endswith("userinfo"):
            sent = http_request("GET", endpoint.encode(), [(b"Authorization", b"Bearer " + token.encode())])
        else:
            form = [(b"Authorization", SEED_BASIC), (b"Content-Type", b"application/x-www-form-urlencoded")]
            sent = http_request("POST", endpoint.encode(), form, encode_form([("token", token)]))
        check(fuzzed, endpoint, send(fuzzed, sent), sent)

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(4)


ADMIN_TYPES = [
    "Users",
    "Groups",
    "Me",
    "Apps",
    "AppRoles",
    "Grants",
    "ApiKeys",
    "MyApps",
    "CustomClaims",
    "IdentityPropagationTrusts",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
    "Nothing",
]
SCIM_QUERY = ["filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "attributeSets", "page", "limit"]
SCIM_VALUES = [
    'userName eq "user@example.com"',
    'displayName co "a" and (x pr or y gt 1)',
    "emails[type eq",
    "-1",
    "9" * 30,
    "ascending",
    "all",
    "never",
    "meta.created",
    'userName sw "\\"',
]


def test_admin_api_requests(fuzzed: Fuzzed) -> None:
    """The SCIM admin API with an administrator's token: any path, method, query and JSON body."""

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(ADMIN_TYPES))
        tail = data.draw(st.sampled_from(["", "", "/.search", "/" + "0" * 32, "/%00", "/user@example.com"]))
        path = f"/admin/v1/{kind}{tail}"
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
        query = encode_form(
            data.draw(
                st.lists(
                    st.tuples(st.sampled_from(SCIM_QUERY), st.one_of(st.sampled_from(SCIM_VALUES), texts)), max_size=3
                )
            )
        )
        body = b""
        if method in ("POST", "PUT", "PATCH"):
            body = data.draw(st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40)))
        headers = [
            (b"Authorization", b"Bearer " + fuzzed.admin_token.encode()),
            (
                b"Content-Type",
                data.draw(st.sampled_from([b"application/scim+json", b"application/json", b"text/plain"])),
            ),
        ]
        target = path.encode() + (b"?" + query if query else b"")
        sent = http_request(method, target, headers, body)
        check(fuzzed, path, send(fuzzed, sent), sent)

    fuzzed.seen.clear()
    fuzz()
    fuzzed.reached(8)
