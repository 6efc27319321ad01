"""A tiny relying party for the browser tests: a web app that signs its users in with mockidp the way a real
confidential web app does — authorization code + PKCE (S256), state and nonce, the code exchanged by its back
end, the ID token verified with PyJWT against the JWKS — and logs them out through the end-session endpoint.

Pages (all plain HTML): `/login[?prompt=…&response_mode=…]` starts a sign-in, `/callback` (GET, or POST for
form_post) finishes it and shows `<h1 id="result">Signed in as <sub></h1>` or `Error: <error>`, `/logout` sends
the browser to mockidp's logout, `/bye` is where it comes back.
"""

from __future__ import annotations

import html
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

ISSUER = "https://identity.oraclecloud.com/"


class RelyingParty:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.rp = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.idp_url = self.client_id = self.client_secret = ""
        self.pending: dict[str, dict[str, str]] = {}  # state -> verifier, nonce
        self.id_token: str | None = None
        self.claims: dict[str, Any] | None = None
        self.logout_state: str | None = None
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def callback(self) -> str:
        return f"{self.url}/callback"

    @property
    def bye(self) -> str:
        return f"{self.url}/bye"

    def start(self, idp_url: str, client_id: str, client_secret: str) -> RelyingParty:
        self.idp_url, self.client_id, self.client_secret = idp_url, client_id, client_secret
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the flow --------------------------------------------------------------------------------------

    def login_url(self, extra: dict[str, str]) -> str:
        state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        self.pending[state] = {"verifier": verifier, "nonce": nonce}
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": self.callback,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{self.idp_url}/oauth2/v1/authorize?{urlencode(params)}"

    def finish(self, params: dict[str, str]) -> str:
        """The callback: the text of the result heading."""
        pending = self.pending.pop(params.get("state", ""), None)
        if pending is None:
            return "Error: unknown state"
        if "error" in params:
            return f"Error: {params['error']}"
        response = requests.post(
            f"{self.idp_url}/oauth2/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": self.callback,
                "code_verifier": pending["verifier"],
            },
            auth=(self.client_id, self.client_secret),
            timeout=30,
        )
        if response.status_code != 200:
            return f"Error: token endpoint answered {response.status_code} {response.text}"
        id_token = response.json()["id_token"]
        key = jwt.PyJWKClient(f"{self.idp_url}/admin/v1/SigningCert/jwk").get_signing_key_from_jwt(id_token)
        claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=self.client_id, issuer=ISSUER)
        if claims.get("nonce") != pending["nonce"]:
            return "Error: nonce mismatch"
        self.id_token, self.claims = id_token, claims
        return f"Signed in as {claims['sub']}"

    def logout_url(self) -> str:
        self.logout_state = secrets.token_urlsafe(8)
        params = {"post_logout_redirect_uri": self.bye, "state": self.logout_state}
        if self.id_token:
            params["id_token_hint"] = self.id_token
        return f"{self.idp_url}/oauth2/v1/userlogout?{urlencode(params)}"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def rp(self) -> RelyingParty:
        return self.server.rp  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        if parts.path == "/login":
            self._redirect(self.rp.login_url(query))
        elif parts.path == "/callback":
            self._page("Callback", self.rp.finish(query))
        elif parts.path == "/logout":
            self._redirect(self.rp.logout_url())
        elif parts.path == "/bye":
            ok = query.get("state") == self.rp.logout_state
            self._page("Bye", "Signed out" if ok else "Error: logout state mismatch")
        else:
            self._page("Home", "Not signed in", status=404)

    def do_POST(self) -> None:  # the form_post response mode
        length = int(self.headers.get("content-length", "0"))
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        self._page("Callback", self.rp.finish(form) if self.path == "/callback" else "Error: not found")

    def _redirect(self, url: str) -> None:
        self.send_response(302)
        self.send_header("Location", url)
        self.end_headers()

    def _page(self, title: str, result: str, status: int = 200) -> None:
        body = (
            f"<!doctype html><html lang='en'><title>{html.escape(title)}</title>"
            f"<h1 id='result'>{html.escape(result)}</h1></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
