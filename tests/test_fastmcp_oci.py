"""FastMCP's OCI provider, unchanged, pointed at mockidp's discovery: an MCP server whose OAuth proxy sends the
user to the identity domain's sign-in, redeems the code with its confidential client, verifies the domain's
token, and inside a tool exchanges the user's token for an OCI UPST with the OCI SDK's TokenExchangeSigner, as
the provider's own documentation shows. The MCP client is the MCP Python SDK's (dynamic registration at FastMCP,
which FastMCP serves itself)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import jwt
import pytest
from fastmcp import FastMCP
from fastmcp.server.auth.providers.oci import OCIProvider
from fastmcp.server.dependencies import get_access_token
from key_value.aio.stores.memory import MemoryStore
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata
from oci.auth.signers import TokenExchangeSigner

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.mcp_support import MemoryStorage, ScriptedSignIn, free_port, serve_asgi

pytestmark = pytest.mark.anyio

CLIENT_ID, CLIENT_SECRET = "3f1a9c7e5b2d4e6f8a0b1c2d3e4f5a6b", "idcscs-6a1f9b7e-2c4d-4e8f-9a0b-1c2d3e4f5a6b"
USER, PASSWORD = "dana@example.com", "Welcome1!"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    idp: MockIdP
    mcp_url: str


def write_fixtures(directory: Path, base: str) -> Path:
    (directory / "fixtures.toml").write_text(
        f"""
[[resources]]                     # what FastMCP forwards as resource (its own MCP URL)
name = "Ledger MCP server (FastMCP)"
resource = "{base}/mcp"
scopes = ["mcp.access"]

[[clients]]                       # the confidential app FastMCP's OCIProvider is configured with
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
name = "Ledger MCP (FastMCP)"
grant_types = ["authorization_code", "refresh_token", "token_exchange"]
redirect_uris = ["{base}/auth/callback"]
allowed_scopes = ["{base}/mcpmcp.access"]

[[users]]
user_name = "{USER}"
password = "{PASSWORD}"
given_name = "Dana"
email = "{USER}"

[[trusts]]                        # the domain's own tokens may be exchanged for a UPST
name = "Own tokens to UPST"
issuer = "self"
clients = ["{CLIENT_ID}"]
"""
    )
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    return directory


def fastmcp_server(idp: MockIdP, base: str) -> FastMCP:
    auth = OCIProvider(
        config_url=f"{idp.url}/.well-known/openid-configuration",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=base,
        required_scopes=["openid", "profile", "email"],
        redirect_path="/auth/callback",
        require_authorization_consent=False,
        client_storage=MemoryStore(),
        jwt_signing_key="fastmcp-test-signing-key-0123456789",
    )
    server = FastMCP("ledger", auth=auth)

    @server.tool
    def oci_identity() -> dict:
        """Exchange the caller's identity-domain token for an OCI UPST, as OCIProvider's docs show."""
        token = get_access_token()
        assert token is not None
        signer = TokenExchangeSigner(token.token, idp.url, CLIENT_ID, CLIENT_SECRET)
        upst = jwt.decode(signer.security_token_container.security_token, options={"verify_signature": False})
        return {"domain_sub": token.claims["sub"], "upst_sub": upst["sub"], "ptype": upst["ptype"]}

    return server


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with MockIdP(write_fixtures(tmp_path, base)) as idp, serve_asgi(fastmcp_server(idp, base).http_app(), port):
        yield Setup(idp, f"{base}/mcp")


async def test_fastmcp_oci_provider_through_sign_in_and_token_exchange(setup: Setup):
    scripted = ScriptedSignIn(USER, PASSWORD, f"http://127.0.0.1:{free_port()}/callback")
    auth = OAuthClientProvider(
        server_url=setup.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="An MCP client", redirect_uris=[scripted.redirect_uri], grant_types=["authorization_code"]
        ),
        storage=MemoryStorage(),
        redirect_handler=scripted.redirect_handler,
        callback_handler=scripted.callback_handler,
    )
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as http,
        streamable_http_client(setup.mcp_url, http_client=http) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool("oci_identity", {})
    assert not result.is_error, result
    assert result.structured_content == {"domain_sub": USER, "upst_sub": USER, "ptype": "user"}

    # The proxy sent the user to the identity domain's own sign-in, with its confidential client and PKCE,
    # forwarding the MCP client's resource.
    [authorize] = setup.idp.requests("authorize")
    assert (authorize.client_id, authorize.pkce_method) == (CLIENT_ID, "S256")
    assert authorize.params["resource"] == setup.mcp_url
    assert "Ledger MCP (FastMCP)" in scripted.sign_in_pages[0]
    tokens = setup.idp.requests("token")
    code, exchange = tokens[0], tokens[-1]
    assert (code.grant_type, code.client_id, code.status) == ("authorization_code", CLIENT_ID, 200)
    assert code.auth_method in ("client_secret_basic", "client_secret_post")
    assert exchange.grant_type == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert (exchange.params["requested_token_type"], exchange.status) == ("urn:oci:token-type:oci-upst", 200)
