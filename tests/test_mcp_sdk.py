"""The MCP Python SDK, unchanged, against mockidp: its client (`OAuthClientProvider`) connects to an MCP server
(the SDK's own, on 127.0.0.1) that names mockidp as its authorization server in its protected-resource metadata
(RFC 9728). The client discovers both, uses a Client ID Metadata Document as its client_id, runs the
authorization code flow with PKCE and `resource` (RFC 8707), signs in by posting the sign-in form, and calls a
tool; the server checks mockidp's token against /admin/v1/SigningCert/jwk with the audience it expects."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import jwt
import pytest
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthClientMetadata

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.mcp_support import MemoryStorage, MockIdPVerifier, ScriptedSignIn, free_port, serve_asgi

pytestmark = pytest.mark.anyio

CLIENT_URL = "https://agent.example.com/oauth/client.json"  # the SDK only accepts https client_id URLs
USER, PASSWORD = "dana@example.com", "Welcome1!"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    idp: MockIdP
    mcp_url: str
    verifier: MockIdPVerifier


def write_fixtures(directory: Path, mcp_url: str, *, cimd: bool = True) -> Path:
    (directory / "cimd").mkdir()
    (directory / "cimd" / "agent.json").write_text(
        json.dumps(
            {
                "client_id": CLIENT_URL,
                "client_name": "Ledger Agent (MCP SDK)",
                "redirect_uris": ["http://127.0.0.1:33418/callback"],  # the client listens on another port
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            }
        )
    )
    (directory / "fixtures.toml").write_text(
        f"""
[domain]
issuer = "self"                      # RFC 8414: the metadata's issuer is the URL the client discovered it at
client_id_metadata_documents = {str(cimd).lower()}

[[client_metadata]]
url = "{CLIENT_URL}"
file = "cimd/agent.json"

[[resources]]
name = "Ledger MCP server"
resource = "{mcp_url}"
scopes = ["ledger.read"]

[[users]]
user_name = "{USER}"
password = "{PASSWORD}"
"""
        if cimd
        else f"""
[domain]
issuer = "self"
[[resources]]
name = "Ledger MCP server"
resource = "{mcp_url}"
scopes = ["ledger.read"]
[[users]]
user_name = "{USER}"
password = "{PASSWORD}"
"""
    )
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    return directory


def ledger_server(idp: MockIdP, mcp_url: str, verifier: MockIdPVerifier) -> MCPServer:
    server = MCPServer(
        "ledger",
        token_verifier=verifier,
        auth=AuthSettings(
            issuer_url=idp.url,
            resource_server_url=mcp_url,
            required_scopes=["ledger.read"],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Who the bearer token says is calling."""
        token = get_access_token()
        assert token is not None
        return f"{token.subject} via {token.client_id}"

    return server


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    port = free_port()
    mcp_url = f"http://127.0.0.1:{port}/mcp"
    with MockIdP(write_fixtures(tmp_path, mcp_url)) as idp:
        verifier = MockIdPVerifier(idp.jwks_url, idp.issuer, mcp_url)
        with serve_asgi(ledger_server(idp, mcp_url, verifier).streamable_http_app(), port):
            yield Setup(idp, mcp_url, verifier)


def signer() -> ScriptedSignIn:
    return ScriptedSignIn(USER, PASSWORD, f"http://127.0.0.1:{free_port()}/callback")


def provider(mcp_url: str, scripted: ScriptedSignIn, storage: MemoryStorage, **extra) -> OAuthClientProvider:
    return OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="Ledger Agent (MCP SDK)",
            redirect_uris=[scripted.redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=scripted.redirect_handler,
        callback_handler=scripted.callback_handler,
        **extra,
    )


async def call_whoami(mcp_url: str, auth: OAuthClientProvider) -> str:
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as http,
        streamable_http_client(mcp_url, http_client=http) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool("whoami", {})
        assert not result.is_error, result
        return result.content[0].text


async def test_mcp_client_with_a_client_id_metadata_document(setup: Setup):
    scripted, storage = signer(), MemoryStorage()
    auth = provider(setup.mcp_url, scripted, storage, client_metadata_url=CLIENT_URL)

    assert await call_whoami(setup.mcp_url, auth) == f"{USER} via {CLIENT_URL}"

    # What the SDK sent: the CIMD URL as client_id, PKCE S256, the resource, the resource's scopes.
    [authorize] = setup.idp.requests("authorize")
    assert authorize.client_id == CLIENT_URL
    assert authorize.pkce_method == "S256"
    assert authorize.params["resource"] == setup.mcp_url
    assert "ledger.read" in authorize.scopes
    [token] = setup.idp.requests("token")
    assert (token.grant_type, token.auth_method, token.status) == ("authorization_code", "none", 200)
    assert token.params["resource"] == setup.mcp_url
    # The name from the document is what the sign-in page showed.
    assert "Ledger Agent (MCP SDK)" in scripted.sign_in_pages[0]

    # The token the server accepted: aud is the MCP server's resource URL, the scope the short one.
    claims = jwt.decode(storage.tokens.access_token, options={"verify_signature": False})
    assert (claims["aud"], claims["client_id"], claims["sub"]) == (setup.mcp_url, CLIENT_URL, USER)
    assert "ledger.read" in claims["scope"].split()
    assert storage.tokens.refresh_token  # offline_access, which the SDK adds since discovery lists it
    assert setup.verifier.refused == []


async def test_mcp_client_refreshes_with_the_resource(setup: Setup):
    scripted, storage = signer(), MemoryStorage()
    auth = provider(setup.mcp_url, scripted, storage, client_metadata_url=CLIENT_URL)
    await call_whoami(setup.mcp_url, auth)
    assert len(scripted.authorization_urls) == 1

    auth.context.token_expiry_time = 1.0  # as if the token expired long ago: the SDK refreshes before the call
    assert await call_whoami(setup.mcp_url, auth) == f"{USER} via {CLIENT_URL}"
    assert len(scripted.authorization_urls) == 1  # no second sign-in
    refresh = [entry for entry in setup.idp.requests("token") if entry.grant_type == "refresh_token"]
    assert [(entry.status, entry.params["resource"]) for entry in refresh] == [(200, setup.mcp_url)]


async def test_a_token_for_another_audience_is_refused_by_the_mcp_server(setup: Setup):
    other = setup.idp.mint_token(CLIENT_URL, user=USER, claims={"aud": "https://elsewhere.example.com/"})
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(
            setup.mcp_url,
            headers={"Authorization": f"Bearer {other}", "Accept": "application/json, text/event-stream"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )
    assert response.status_code == 401
    assert "resource_metadata=" in response.headers["www-authenticate"]
    assert setup.verifier.refused, "the verifier was not asked"
    assert any("InvalidAudienceError" in refusal for refusal in setup.verifier.refused), setup.verifier.refused


async def test_without_cimd_the_sdk_falls_back_to_registration_which_the_domain_does_not_offer(tmp_path: Path):
    """The identity domain has no dynamic client registration: with CIMD off (not advertised) the SDK falls
    back to POST /register, which is not there — the client fails before any sign-in."""
    port = free_port()
    mcp_url = f"http://127.0.0.1:{port}/mcp"
    with MockIdP(write_fixtures(tmp_path, mcp_url, cimd=False)) as idp:
        verifier = MockIdPVerifier(idp.jwks_url, idp.issuer, mcp_url)
        with serve_asgi(ledger_server(idp, mcp_url, verifier).streamable_http_app(), port):
            scripted = signer()
            auth = provider(mcp_url, scripted, MemoryStorage(), client_metadata_url=CLIENT_URL)
            with pytest.raises(BaseException) as caught:
                await call_whoami(mcp_url, auth)
            assert "Registration failed: 404" in repr(caught.value) or "Registration failed: 405" in repr(
                caught.value
            ), repr(caught.value)
            assert scripted.authorization_urls == []
