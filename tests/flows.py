"""Driving the browser flows without a browser, as a script would: fixtures with clients for every flow, reading
the sign-in page's forms, signing in by posting them, and reading authorization responses."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import jwt
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from mockidp.paths import default_fixtures

WEBAPP, WEBAPP_SECRET = "webapp", "webapp-secret"
SPA = "spa"
TV = "tv"
CODE_ONLY, CODE_ONLY_SECRET = "code-only", "code-only-secret"
CALLBACK = "http://localhost:8001/callback"
QUERY_CALLBACK = "https://app.example.com/cb?tenant=a"
SPA_CALLBACK = "http://localhost:3000/callback"
BYE = "http://localhost:8001/bye"
ALICE, BOB, NOPASS, TRICKY = "alice@example.com", "bob@example.com", "kiosk@example.com", "tricky@example.com"
PASSWORD = "Welcome1!"

FIXTURES = {
    "domain.toml": """
        [domain]
        tenant = "idcs-0123456789abcdef0123456789abcdef"

        [[resources]]
        name = "Orders API"
        audience = "https://orders.example.com/"
        scopes = ["read", "write"]
    """,
    "clients.toml": f"""
        [[clients]]
        client_id = "{WEBAPP}"
        client_secret = "{WEBAPP_SECRET}"
        name = "Web App"
        grant_types = ["authorization_code", "refresh_token", "implicit", "client_credentials"]
        redirect_uris = ["{CALLBACK}", "{QUERY_CALLBACK}"]
        post_logout_redirect_uris = ["{BYE}"]
        allowed_scopes = ["https://orders.example.com/read"]

        [[clients]]
        client_id = "{SPA}"
        name = "Single-page app"
        grant_types = ["authorization_code", "refresh_token", "implicit"]
        redirect_uris = ["{SPA_CALLBACK}"]
        post_logout_redirect_uris = ["http://localhost:3000/"]

        [[clients]]
        client_id = "{TV}"
        name = "Living-room TV"
        grant_types = ["device_code", "refresh_token"]
        allowed_scopes = ["https://orders.example.com/read"]

        [[clients]]
        client_id = "{CODE_ONLY}"
        client_secret = "{CODE_ONLY_SECRET}"
        name = "Code-only app"
        grant_types = ["authorization_code"]
        redirect_uris = ["{CALLBACK}"]
    """,
    "users.toml": f"""
        [[users]]
        user_name = "{ALICE}"
        password = "{PASSWORD}"
        name = "Alice Example"
        email = "{ALICE}"

        [[users]]
        user_name = "{BOB}"
        password = "{PASSWORD}"
        name = "Bob Example"
        app_roles = ["Orders Approver"]

        [[users]]
        user_name = "{NOPASS}"
        name = "Kiosk (no password)"

        [[users]]
        user_name = "{TRICKY}"
        password = "{PASSWORD}"
        name = "<script>alert('x')</script> & \\"quotes\\""
    """,
}


def write_flow_fixtures(directory: Path) -> Path:
    """The flow fixtures, with the shipped test signing key (so no key is generated per test server)."""
    import textwrap

    for name, text in FIXTURES.items():
        (directory / name).write_text(textwrap.dedent(text))
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    return directory


# ---------------------------------------------------------------------------------------------- reading pages


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and text inputs with their values
    inputs: dict[str, str] = field(default_factory=dict)  # every input name -> its type
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of submit buttons


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and "name" in a:
            self.forms[-1].inputs[a["name"]] = a.get("type", "text")
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms and "name" in a:
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))


def forms(page_html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page_html)
    return parser.forms


def password_form(page_html: str) -> Form:
    return next(form for form in forms(page_html) if "password" in form.inputs)


def one_click_form(page_html: str, user_name: str) -> Form:
    return next(form for form in forms(page_html) if ("username", user_name) in form.buttons)


def sign_in(
    session: requests.Session,
    page: requests.Response,
    username: str,
    password: str | None = PASSWORD,
    **extra: str,
) -> requests.Response:
    """Sign in on a sign-in page as a script does: post the password form (or, with password=None, the user's
    one-click button), hidden fields unchanged. Redirects are not followed."""
    if password is None:
        form = one_click_form(page.text, username)
        data = {**form.fields, "username": username}
    else:
        form = password_form(page.text)
        data = {**form.fields, "username": username, "password": password}
    data.update(extra)
    return session.post(urljoin(page.url, form.action), data=data, allow_redirects=False)


def response_params(location: str) -> dict[str, str]:
    """The parameters of an authorization response: from the fragment if there is one, else the query."""
    parts = urlsplit(location)
    return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def authorize(session: requests.Session, url: str, **params: str) -> requests.Response:
    """GET the authorize endpoint, not following redirects."""
    return session.get(f"{url}/oauth2/v1/authorize?{urlencode(params)}", allow_redirects=False)


def follow(session: requests.Session, response: requests.Response) -> requests.Response:
    """Follow one redirect (to a page of the identity domain)."""
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return session.get(urljoin(response.url, response.headers["location"]), allow_redirects=False)


def decode(idp: Any, token: str, **options: Any) -> dict[str, Any]:
    """Verify a token's signature against the domain's JWKS, with PyJWT, and return its claims. Times are not
    checked here: tests move the domain's clock, so they compare exp/iat with `idp.domain.clock` themselves."""
    key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
    no_time = {"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False}
    return jwt.decode(token, key.key, algorithms=["RS256"], options={**no_time, **options})
