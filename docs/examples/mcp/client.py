"""An MCP agent (docs/mcp.md): the MCP Python SDK's client with OAuthClientProvider. It discovers the server's
protected resource metadata and the identity domain's metadata, uses its Client ID Metadata Document URL as its
client_id, and runs the authorization code flow with PKCE and `resource`. mockidp runs with --auto-login, so the
"browser" is one GET whose redirect carries the code."""

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

MCP_URL = "http://127.0.0.1:8001/mcp"
CLIENT_ID_URL = "https://agent.example.com/oauth/client.json"


class Memory:  # the SDK's TokenStorage protocol
    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


class AutoLoginBrowser:
    """Open the authorization URL; with `mockidp serve --auto-login` the answer is the redirect with the code."""

    result: AuthorizationCodeResult | None = None

    async def open(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient() as http:
            answer = await http.get(authorization_url, follow_redirects=False)
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        if "error" in query:
            raise SystemExit(f"authorization failed: {query['error'][0]}: {query['error_description'][0]}")
        self.result = AuthorizationCodeResult(code=query["code"][0], state=query["state"][0])

    async def callback(self) -> AuthorizationCodeResult:
        return self.result


async def call_balance(mcp_url: str, browser) -> str:
    """Connect as the agent (signing in through `browser`) and call the server's balance tool."""
    auth = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="Ledger Agent",
            redirect_uris=["http://127.0.0.1:3030/callback"],
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
        ),
        storage=Memory(),
        redirect_handler=browser.open,
        callback_handler=browser.callback,
        client_metadata_url=CLIENT_ID_URL,
    )
    async with (
        httpx2.AsyncClient(auth=auth) as http,
        streamable_http_client(mcp_url, http_client=http) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool("balance", {})
        return result.content[0].text


if __name__ == "__main__":
    print(asyncio.run(call_balance(MCP_URL, AutoLoginBrowser())))
