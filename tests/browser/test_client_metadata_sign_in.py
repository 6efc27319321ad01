"""The sign-in page in a real browser (Playwright + Debian's chromium) for a client known only by its Client ID
Metadata Document: the page names the client as the document does, the user signs in, and the browser lands on
the client's loopback redirect (on a port the document does not list) with a code that redeems for a token."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, expect

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.browser_support import browser, page_server  # noqa: F401 - the shared fixture
from tests.cimd_support import DocumentServer, public_document
from tests.flows import decode, pkce

FIXTURE_URL = "https://agent.example.com/oauth/client.json"
USER, PASSWORD = "dana@example.com", "Welcome1!"
CALLBACK_PAGE = "<p id=result></p><script>document.getElementById('result').textContent = location.search</script>"


@pytest.fixture(scope="module")
def docs() -> Iterator[DocumentServer]:
    with DocumentServer() as server:
        yield server


@pytest.fixture(scope="module")
def idp(docs: DocumentServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    directory = tmp_path_factory.mktemp("cimd-browser")
    (directory / "cimd").mkdir()
    document = public_document(FIXTURE_URL, ["http://127.0.0.1:1/callback"], client_name="Claude-ish Desktop Agent")
    (directory / "cimd" / "agent.json").write_text(json.dumps(document))
    (directory / "fixtures.toml").write_text(
        f"""
[domain]
client_id_metadata_documents = true
trusted_metadata_locations = ["{docs.base}/clients/"]

[[client_metadata]]
url = "{FIXTURE_URL}"
file = "cimd/agent.json"

[[users]]
user_name = "{USER}"
password = "{PASSWORD}"
name = "Dana Example"
"""
    )
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    with MockIdP(directory) as server:
        yield server


@pytest.mark.parametrize("where", ["fixture", "network"])
def test_sign_in_page_names_the_client_of_the_document(
    browser: Browser,  # noqa: F811 - the imported fixture, by name
    idp: MockIdP,
    docs: DocumentServer,
    where: str,
):
    if where == "fixture":
        client_id, name = FIXTURE_URL, "Claude-ish Desktop Agent"
    else:
        client_id, name = docs.url("/clients/notes/client.json"), "Notes Agent (fetched)"
        docs.serve(
            "/clients/notes/client.json",
            public_document(client_id, ["http://127.0.0.1:1/callback"], client_name=name),
        )
    verifier, challenge = pkce()
    context = browser.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        with page_server(CALLBACK_PAGE) as app:
            redirect_uri = f"{app}/callback"  # the document lists port 1: loopback matches on any port
            query = {
                "client_id": client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": "openid",
                "state": "browser-state",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            page.goto(f"{idp.url}/oauth2/v1/authorize?{urlencode(query)}")
            expect(page.get_by_text(re.compile(f"to continue to {re.escape(name)}"))).to_be_visible()
            page.get_by_label("User Name", exact=True).fill(USER)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign In", exact=True).click()
            expect(page.locator("#result")).to_have_text(re.compile(r"code="))
            assert page.url.startswith(redirect_uri)
            answer = dict(parse_qsl(urlsplit(page.url).query))
    finally:
        context.close()
    assert answer["state"] == "browser-state"
    tokens = requests.post(
        idp.token_url,
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    id_token = decode(idp, tokens.json()["id_token"])
    assert (id_token["sub"], id_token["azp"], id_token["client_name"]) == (USER, client_id, name)
