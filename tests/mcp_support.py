"""What the MCP tests share: a free port, an ASGI app served by uvicorn on 127.0.0.1 in a thread, a token
verifier for the MCP SDK's server that checks mockidp's tokens as a resource server does (JWKS, RS256, issuer,
audience), and the MCP client's side of the sign-in (its redirect handler posts the sign-in form as a script)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import anyio
import httpx2
import jwt
import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthToken


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_asgi(app: Any, port: int) -> Iterator[str]:
    """Serve `app` on http://127.0.0.1:<port> until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the ASGI server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class MockIdPVerifier:
    """The MCP server's `TokenVerifier`: mockidp's access tokens, checked against /admin/v1/SigningCert/jwk with
    the issuer and the audience (the MCP server's resource URL) it expects."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self.jwks = jwt.PyJWKClient(jwks_url)
        self.issuer, self.audience = issuer, audience
        self.refused: list[str] = []

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = await anyio.to_thread.run_sync(self._decode, token)
        except jwt.PyJWTError as exc:
            self.refused.append(f"{type(exc).__name__}: {exc}")
            return None
        return AccessToken(
            token=token,
            client_id=claims["client_id"],
            scopes=claims["scope"].split(),
            expires_at=claims["exp"],
            resource=self.audience,
            subject=claims["sub"],
            claims=claims,
        )

    def _decode(self, token: str) -> dict[str, Any]:
        key = self.jwks.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=self.audience,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )


class MemoryStorage:
    """The MCP client's token storage (the SDK's `TokenStorage` protocol), in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []  # (action, input name -> value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in a:
            self.forms[-1][1][a["name"]] = a.get("value", "")


class ScriptedSignIn:
    """The MCP client's redirect and callback handlers: instead of opening a browser, follow the authorization URL
    through every redirect (an OAuth proxy's own pages, then mockidp's), post mockidp's sign-in form (hidden fields
    unchanged) as `user`, and read the code off the redirect to `redirect_uri`."""

    def __init__(self, user: str, password: str, redirect_uri: str) -> None:
        self.user, self.password, self.redirect_uri = user, password, redirect_uri
        self.authorization_urls: list[str] = []
        self.visited: list[str] = []
        self.sign_in_pages: list[str] = []
        self._result: AuthorizationCodeResult | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorization_urls.append(authorization_url)
        async with httpx2.AsyncClient(follow_redirects=False, timeout=10) as http:
            response = await http.get(authorization_url)
            for _ in range(12):
                if response.status_code in (302, 303):
                    location = urljoin(str(response.url), response.headers["location"])
                    if location.startswith(self.redirect_uri):
                        break
                    self.visited.append(location)
                    response = await http.get(location)
                    continue
                assert response.status_code == 200, (response.status_code, response.text[:500])
                parser = _Form()
                parser.feed(response.text)
                action, fields = next((form for form in parser.forms if "password" in form[1]), ("", {}))
                assert fields, f"a page that is not the sign-in page: {response.url}\n{response.text[:500]}"
                self.sign_in_pages.append(response.text)
                data = {**fields, "username": self.user, "password": self.password}
                response = await http.post(urljoin(str(response.url), action), data=data)
            else:
                raise AssertionError(f"no redirect to {self.redirect_uri} after {self.visited}")
        query = dict(parse_qsl(urlsplit(location).query))
        assert "code" in query, f"the authorization response has no code: {location}"
        self._result = AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self._result is not None
        return self._result
