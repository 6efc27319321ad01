"""Client ID Metadata Documents over raw HTTP: a URL client_id names a client described by the document there —
from a fixture file, or fetched from the client's server (a real one on 127.0.0.1) — and every way the document
or its fetch can be wrong is refused, saying exactly what is wrong."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.cimd_support import DocumentServer, public_document
from tests.flows import authorize, follow, pkce, response_params, sign_in
from tests.helpers import assert_error, verify
from tests.s2s_support import Signer, new_key

MCP = "https://ledger.example.com/mcp"
FIXTURE_URL = "https://mcp-client.example.com/oauth/client.json"
CALLBACK = "http://127.0.0.1:33418/callback"  # the documents register this port; the flows use another


@pytest.fixture(scope="module")
def docs() -> Iterator[DocumentServer]:
    with DocumentServer() as server:
        yield server


@pytest.fixture(scope="module")
def idp(docs: DocumentServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    directory = tmp_path_factory.mktemp("cimd")
    (directory / "cimd").mkdir()
    (directory / "cimd" / "mcp-client.json").write_text(
        json.dumps(public_document(FIXTURE_URL, [CALLBACK], client_name="Offline MCP Client"))
    )
    (directory / "fixtures.toml").write_text(
        f"""
[domain]
client_id_metadata_documents = true
trusted_metadata_locations = ["{docs.base}/trusted/"]

[[client_metadata]]
url = "{FIXTURE_URL}"
file = "cimd/mcp-client.json"

[[resources]]
name = "Ledger MCP server"
resource = "{MCP}"
scopes = ["read"]

[[users]]
user_name = "dana@example.com"
password = "Welcome1!"
"""
    )
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    with MockIdP(directory) as server:
        yield server


def trusted(docs: DocumentServer, document: dict | bytes | None = None, **answer) -> str:
    """A new URL under the trusted location, serving `document` (by default a good public client's)."""
    path = f"/trusted/{uuid.uuid4().hex}/client.json"
    url = docs.url(path)
    docs.serve(path, public_document(url, [CALLBACK]) if document is None else document, **answer)
    return url


def start(idp: MockIdP, client_id: str, redirect_uri: str = "http://127.0.0.1:50123/callback", **params: str):
    session = requests.Session()
    verifier, challenge = pkce()
    response = authorize(
        session,
        idp.url,
        client_id=client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        state="st",
        scope="openid read",
        resource=MCP,
        code_challenge=challenge,
        code_challenge_method="S256",
        **params,
    )
    return session, response, verifier


def code_flow(idp: MockIdP, client_id: str) -> tuple[requests.Response, str]:
    """Authorize (loopback redirect on another port than the document's), sign in, redeem: the token response
    and the sign-in page's HTML."""
    redirect_uri = "http://127.0.0.1:50123/callback"
    session, response, verifier = start(idp, client_id, redirect_uri)
    page = follow(session, response)
    assert page.status_code == 200, page.text
    back = sign_in(session, page, "dana@example.com")
    assert back.status_code == 302, back.text
    answer = response_params(back.headers["location"])
    assert back.headers["location"].startswith(redirect_uri)
    tokens = requests.post(
        idp.token_url,
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "resource": MCP,
        },
        timeout=10,
    )
    return tokens, page.text


def refused_page(response: requests.Response, *fragments: str) -> None:
    assert response.status_code == 400, response.text
    assert "text/html" in response.headers["content-type"]
    text = response.text.replace("&#x27;", "'").replace("&quot;", '"')
    for fragment in fragments:
        assert fragment in text, text


def test_discovery_advertises_it(idp: MockIdP):
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        assert requests.get(idp.url + path, timeout=10).json()["client_id_metadata_document_supported"] is True


def test_discovery_without_it(fresh_idp: MockIdP):
    document = requests.get(fresh_idp.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert "client_id_metadata_document_supported" not in document


def test_fixture_document_needs_no_network(idp: MockIdP):
    tokens, page = code_flow(idp, FIXTURE_URL)
    assert tokens.status_code == 200, tokens.text
    claims = verify(idp, tokens.json()["access_token"], MCP)
    assert (claims["client_id"], claims["client_name"], claims["aud"]) == (FIXTURE_URL, "Offline MCP Client", MCP)
    assert "Offline MCP Client" in page
    body = requests.get(idp.control_url + "/client-metadata", timeout=10).json()
    assert body["enabled"] is True
    assert {"url": FIXTURE_URL, "source": "fixtures", "file": "cimd/mcp-client.json"} in body["documents"]
    assert body["documents"] == idp.client_metadata()


def test_fetched_document_is_cached_journaled_and_listed(idp: MockIdP, docs: DocumentServer):
    url = trusted(docs)
    tokens, page = code_flow(idp, url)
    assert tokens.status_code == 200, tokens.text
    assert verify(idp, tokens.json()["access_token"], MCP)["client_id"] == url
    assert "Ledger Agent" in page
    path = url.removeprefix(docs.base)
    assert docs.hits[path] == 1  # authorize, sign-in page, token: one fetch, then the cache
    fetches = [entry for entry in idp.requests() if entry.endpoint == "client_metadata" and entry.path == url]
    assert len(fetches) == 1 and fetches[0].status == 200 and fetches[0].error is None
    listed = {d["url"]: d for d in requests.get(idp.control_url + "/client-metadata", timeout=10).json()["documents"]}
    assert listed[url]["source"] == "network"
    assert listed[url]["client_name"] == "Ledger Agent"
    assert listed[url]["expires_at"] - listed[url]["fetched_at"] == 300  # no Cache-Control: [choice] 5 minutes


def test_cache_follows_cache_control_on_the_domain_clock(idp: MockIdP, docs: DocumentServer):
    url = trusted(docs, None, headers={"Content-Type": "application/json", "Cache-Control": "max-age=60"})
    path = url.removeprefix(docs.base)
    _, first, _ = start(idp, url)
    assert first.status_code == 302
    start(idp, url)
    assert docs.hits[path] == 1
    idp.clock.advance(61)
    try:
        start(idp, url)
        assert docs.hits[path] == 2  # expired in the store, by the domain clock
    finally:
        idp.clock.reset()


def test_no_store_is_fetched_every_time(idp: MockIdP, docs: DocumentServer):
    url = trusted(docs, None, headers={"Content-Type": "application/json", "Cache-Control": "no-store"})
    start(idp, url)
    start(idp, url)
    assert docs.hits[url.removeprefix(docs.base)] == 2


def test_forget_drops_the_cache(idp: MockIdP, docs: DocumentServer):
    url = trusted(docs)
    start(idp, url)
    assert requests.delete(idp.control_url + "/client-metadata", timeout=10).status_code == 204
    start(idp, url)
    assert docs.hits[url.removeprefix(docs.base)] == 2


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (
            lambda docs: docs.url("/elsewhere/client.json"),
            ["is not under any of the domain's trusted_metadata_locations", "/trusted/"],
        ),
        (
            lambda docs: trusted(docs, public_document("https://someone.else/client.json", [CALLBACK])),
            ["its client_id 'https://someone.else/client.json' is not the URL it was fetched from"],
        ),
        (
            lambda docs: trusted(docs, b"", status=302, headers={"Location": "https://evil.example.com/client.json"}),
            ["answered 302 redirecting to 'https://evil.example.com/client.json'", "not fetched through redirects"],
        ),
        (lambda docs: trusted(docs, b"<html>hello</html>"), ["the document is not JSON"]),
        (lambda docs: trusted(docs, b"[1, 2]"), ["the document must be a JSON object"]),
        (lambda docs: trusted(docs, b"x" * 6000), ["the document is 6000 bytes, over the limit of 5120 bytes"]),
        (lambda docs: trusted(docs, b"gone", status=404), ["the server answered HTTP 404"]),
        (lambda docs: trusted(docs, None, delay=4), ["did not answer within 3 seconds"]),
        (lambda docs: "http://127.0.0.1:9/trusted/client.json", ["is not under any of the domain's trusted"]),
        (lambda docs: "http://example.com/client.json", ["must use https (http only on a loopback host"]),
        (lambda docs: "https://example.com/", ["must have a path naming the document"]),
        (
            lambda docs: trusted(docs, {**public_document("X", [CALLBACK]), "client_secret": "s"} | {"client_id": ""}),
            ["is not the URL it was fetched from"],
        ),
    ],
    ids=[
        "untrusted",
        "client_id",
        "redirect",
        "not-json",
        "not-object",
        "too-big",
        "404",
        "slow",
        "untrusted-port",
        "http",
        "no-path",
        "empty-client-id",
    ],
)
def test_refusals_at_authorize_are_shown_not_redirected(idp: MockIdP, docs: DocumentServer, make, fragments):
    _, response, _ = start(idp, make(docs))
    refused_page(response, "names a client metadata document that cannot be used", *fragments)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"client_secret": "shh"}, "it has a client_secret"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "needs a shared secret"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "give exactly one of jwks and jwks_uri"),
        ({"redirect_uris": []}, "redirect_uris must be a non-empty list"),
        ({"grant_types": ["client_credentials"]}, "'client_credentials' is not available"),
        ({"response_types": ["token"]}, 'response_types must be ["code"]'),
    ],
)
def test_documents_that_break_the_rules(idp: MockIdP, docs: DocumentServer, change: dict, fragment: str):
    path = f"/trusted/{uuid.uuid4().hex}/client.json"
    url = docs.url(path)
    docs.serve(path, {**public_document(url, [CALLBACK]), **change})
    _, response, _ = start(idp, url)
    refused_page(response, fragment)


def test_unregistered_redirect_is_shown_not_redirected(idp: MockIdP, docs: DocumentServer):
    _, response, _ = start(idp, trusted(docs), redirect_uri="https://attacker.example.com/callback")
    refused_page(response, "requested an invalid redirect URL", "its metadata document's; loopback ones match")
    _, other_path, _ = start(idp, trusted(docs), redirect_uri="http://127.0.0.1:50123/other")
    refused_page(other_path, "requested an invalid redirect URL")  # any port, but the path must be the same


def test_public_document_client_needs_pkce(idp: MockIdP, docs: DocumentServer):
    session = requests.Session()
    response = authorize(
        session,
        idp.url,
        client_id=trusted(docs),
        response_type="code",
        redirect_uri="http://127.0.0.1:40000/callback",
        state="st",
        scope="read",
        resource=MCP,
    )
    answer = response_params(response.headers["location"])
    assert answer["error"] == "invalid_request" and "PKCE" in answer["error_description"]


def test_refused_document_at_the_token_endpoint(idp: MockIdP, docs: DocumentServer):
    url = trusted(docs, b"nope")
    response = requests.post(
        idp.token_url, data={"grant_type": "authorization_code", "client_id": url, "code": "x"}, timeout=10
    )
    body = assert_error(response, 401, "invalid_client")
    assert "names a client metadata document that cannot be used: the document is not JSON" in body["error_description"]
    fetch = [e for e in idp.requests() if e.endpoint == "client_metadata" and e.path == url][-1]
    assert fetch.error == "invalid_client_metadata"
    assert "not JSON" in fetch.reason


def test_confidential_client_with_private_key_jwt(idp: MockIdP, docs: DocumentServer):
    signer = Signer(new_key(), "agent-key-1")
    path = f"/trusted/{uuid.uuid4().hex}/client.json"
    url = docs.url(path)
    keys_url = docs.serve(path.replace("client.json", "jwks.json"), {"keys": [signer.jwk()]})
    docs.serve(
        path,
        public_document(url, [CALLBACK], token_endpoint_auth_method="private_key_jwt", jwks_uri=keys_url),
    )
    redirect_uri = "http://127.0.0.1:50123/callback"
    session, response, verifier = start(idp, url, redirect_uri)
    back = sign_in(session, follow(session, response), "dana@example.com")
    code = response_params(back.headers["location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}

    without = requests.post(idp.token_url, data={**data, "client_id": url}, timeout=10)
    assert_error(without, 401, "invalid_client")

    now = int(time.time())
    assertion = signer.sign(
        {"iss": url, "sub": url, "aud": idp.token_url, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    )
    session2, response2, verifier2 = start(idp, url, redirect_uri)
    code2 = response_params(sign_in(session2, follow(session2, response2), "dana@example.com").headers["location"])[
        "code"
    ]
    good = requests.post(
        idp.token_url,
        data={
            **data,
            "code": code2,
            "code_verifier": verifier2,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )
    assert good.status_code == 200, good.text
    assert verify(idp, good.json()["access_token"], MCP)["client_id"] == url

    stranger = Signer(new_key(), "agent-key-1")
    forged = stranger.sign(
        {"iss": url, "sub": url, "aud": idp.token_url, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    )
    bad = requests.post(
        idp.token_url,
        data={
            **data,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": forged,
        },
        timeout=10,
    )
    body = assert_error(bad, 401, "invalid_client")
    assert "Bad signature" in body["error_description"]


def test_switched_off_a_url_is_just_an_unknown_client(fresh_idp: MockIdP):
    _, response, _ = start(fresh_idp, FIXTURE_URL)
    refused_page(response, "requested an invalid redirect URL")


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        (
            {"f.toml": '[[client_metadata]]\nurl = "https://a.example.com/c.json"\nfile = "cimd/c.json"\n'},
            "client_metadata[0]: set [domain] client_id_metadata_documents = true",
        ),
        (
            {
                "f.toml": "[domain]\nclient_id_metadata_documents = true\n"
                '[[client_metadata]]\nurl = "https://a.example.com/c.json"\nfile = "c.json"\n'
            },
            "client_metadata[0].file: must be a relative path in a sub-folder",
        ),
        (
            {
                "f.toml": "[domain]\nclient_id_metadata_documents = true\n"
                '[[client_metadata]]\nurl = "https://a.example.com/c.json"\nfile = "cimd/c.json"\n',
                "cimd/c.json": json.dumps(public_document("https://b.example.com/c.json", [CALLBACK])),
            },
            "client_metadata[0].file: its client_id 'https://b.example.com/c.json' is not the URL",
        ),
        (
            {
                "f.toml": '[domain]\nclient_id_metadata_documents = true\ntrusted_metadata_locations = ["http://x.com/"]\n'
            },
            "domain.trusted_metadata_locations[0]: must use https",
        ),
        (
            {
                "f.toml": '[domain]\nclient_id_metadata_documents = true\ntrusted_metadata_locations = ["https://x.com"]\n'
            },
            'must end its host part with "/"',
        ),
    ],
)
def test_fixture_problems(tmp_path: Path, files: dict[str, str], problem: str):
    from mockidp.core.fixtures import check_fixtures

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    problems = [str(p) for p in check_fixtures(tmp_path)]
    assert any(problem in p for p in problems), problems


def test_confidential_client_credentials_with_inline_jwks(idp: MockIdP, docs: DocumentServer):
    """The release notes' second case: a confidential metadata-document client, client_credentials with
    private_key_jwt, keys in the document's jwks, no redirect URIs."""
    signer = Signer(new_key(), "worker-1")
    path = f"/trusted/{uuid.uuid4().hex}/worker.json"
    url = docs.url(path)
    docs.serve(
        path,
        {
            "client_id": url,
            "client_name": "Batch worker",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [signer.jwk()]},
        },
    )
    now = int(time.time())
    assertion = signer.sign(
        {"iss": url, "sub": url, "aud": idp.issuer, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    )
    response = requests.post(
        idp.token_url,
        data={
            "grant_type": "client_credentials",
            "resource": MCP,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    claims = verify(idp, response.json()["access_token"], MCP)
    assert (claims["sub"], claims["sub_type"], claims["client_name"], claims["scope"]) == (
        url,
        "client",
        "Batch worker",
        "read",
    )
    # A public document client cannot use client_credentials at all.
    public = trusted(docs, None)
    refused = requests.post(
        idp.token_url, data={"grant_type": "client_credentials", "client_id": public, "resource": MCP}, timeout=10
    )
    assert_error(refused, 400, "unauthorized_client")


def test_control_plane_mint_for_a_refused_document_says_why(idp: MockIdP, docs: DocumentServer):
    response = requests.post(
        idp.control_url + "/tokens", json={"client_id": docs.url("/untrusted/client.json")}, timeout=10
    )
    assert response.status_code == 400, response.text
    assert "is not under any of the domain's trusted_metadata_locations" in response.json()["error_description"]
    minted = idp.mint_token(FIXTURE_URL, user="dana@example.com", scope="openid")
    assert verify(idp, minted, None)["client_name"] == "Offline MCP Client"
