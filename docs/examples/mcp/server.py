"""An MCP server protected by the identity domain (docs/mcp.md): the MCP Python SDK's server, its protected
resource metadata naming mockidp as the authorization server, and a token verifier that checks the domain's
tokens as any resource server does — signature against /admin/v1/SigningCert/jwk, issuer, audience."""

import os

import anyio
import jwt
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

IDENTITY_DOMAIN = os.environ.get("IDENTITY_DOMAIN", "http://127.0.0.1:8000")
MCP_URL = "http://127.0.0.1:8001/mcp"  # what clients connect to, and the tokens' audience


class DomainTokens:
    """The SDK's TokenVerifier protocol, for the identity domain's access tokens."""

    def __init__(self, identity_domain: str, mcp_url: str) -> None:
        self.jwks = jwt.PyJWKClient(f"{identity_domain}/admin/v1/SigningCert/jwk")
        self.issuer, self.audience = identity_domain, mcp_url

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = await anyio.to_thread.run_sync(self.decode, token)
        except jwt.PyJWTError:
            return None
        return AccessToken(
            token=token,
            client_id=claims["client_id"],
            scopes=claims["scope"].split(),
            expires_at=claims["exp"],
            resource=self.audience,
            subject=claims["sub"],
        )

    def decode(self, token: str) -> dict:
        key = self.jwks.get_signing_key_from_jwt(token).key
        return jwt.decode(token, key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer)


def make_server(identity_domain: str = IDENTITY_DOMAIN, mcp_url: str = MCP_URL) -> MCPServer:
    server = MCPServer(
        "ledger",
        token_verifier=DomainTokens(identity_domain, mcp_url),
        auth=AuthSettings(
            issuer_url=identity_domain,  # published in the server's protected resource metadata (RFC 9728)
            resource_server_url=mcp_url,
            required_scopes=["ledger.read"],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def balance() -> str:
        """The caller's balance."""
        token = get_access_token()
        return f"{token.subject}: 42.00 EUR (client {token.client_id})"

    return server


if __name__ == "__main__":
    uvicorn.run(make_server().streamable_http_app(), host="127.0.0.1", port=8001, log_level="warning")
