"""CORS at token, userinfo, JWKS, discovery, introspect and revoke: exact headers over HTTP, then a real
browser (Playwright + chromium) on other origins whose preflights the server answers or refuses."""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from browser_support import browser, page_server  # noqa: F401 - browser is a fixture

from mockidp.testing import MockIdP

APP, OTHER = "0f0e0d0c0b0a49988776655443322110", "1f1e1d1c1b1a49988776655443322111"
SECRET = "idcscs-11111111-2222-4333-8444-555555555555"
ALLOWED, ALSO_ALLOWED, STRANGER = "https://app.example.com", "http://localhost:3000", "https://evil.example.com"


def write_fixtures(directory: Path, app_origins: list[str], other_origins: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    quoted = lambda origins: "[" + ", ".join(f'"{o}"' for o in origins) + "]"  # noqa: E731
    (directory / "domain.toml").write_text(
        textwrap.dedent(
            f"""
            [[clients]]
            client_id = "{APP}"
            client_secret = "{SECRET}"
            grant_types = ["client_credentials", "password"]
            app_roles = ["Authenticated Client"]
            cors_origins = {quoted(app_origins)}

            [[clients]]
            client_id = "{OTHER}"
            client_secret = "{SECRET}"
            grant_types = ["client_credentials", "password"]
            app_roles = ["Authenticated Client"]
            cors_origins = {quoted(other_origins)}

            [[users]]
            user_name = "user@example.com"
            password = "Welcome1!"
            """
        )
    )
    return directory


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_fixtures(tmp_path_factory.mktemp("cors"), [ALLOWED], [ALSO_ALLOWED])) as server:
        yield server


def preflight(
    url: str, origin: str, method: str = "POST", headers: str = "authorization,content-type"
) -> requests.Response:
    return requests.options(
        url,
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
        timeout=10,
    )


def test_preflight_for_an_allowed_origin(idp: MockIdP) -> None:
    response = preflight(idp.token_url, ALLOWED)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type, accept"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Vary"] == "Origin"
    userinfo = preflight(idp.userinfo_url, ALSO_ALLOWED, "GET", "authorization")
    assert (userinfo.status_code, userinfo.headers["Access-Control-Allow-Methods"]) == (204, "GET, POST")


def test_refused_preflights_say_why(idp: MockIdP) -> None:
    cases = [
        (
            preflight(idp.token_url, STRANGER),
            f"The origin {STRANGER} may not call /oauth2/v1/token from a browser: "
            "add it to cors_origins of the client in the fixtures.",
        ),
        (
            preflight(idp.token_url, ALLOWED, "DELETE"),
            "DELETE is not allowed on /oauth2/v1/token from a browser; use POST.",
        ),
        (
            preflight(idp.revoke_url, ALLOWED, "POST", "x-custom"),
            "The header x-custom is not allowed on /oauth2/v1/revoke from a browser; "
            "allowed: authorization, content-type, accept.",
        ),
    ]
    for response, description in cases:
        assert response.status_code == 403
        assert "Access-Control-Allow-Origin" not in response.headers
        assert response.json()["error"] == "invalid_request"
        assert response.json()["error_description"] == description


def test_discovery_and_jwks_allow_every_origin(idp: MockIdP) -> None:
    for url in (idp.discovery_url, idp.jwks_url, f"{idp.url}/.well-known/idcs-configuration"):
        response = requests.get(url, headers={"Origin": STRANGER}, timeout=10)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert preflight(url, STRANGER, "GET", "authorization").headers["Access-Control-Allow-Origin"] == "*"


def cc(idp: MockIdP, client_id: str, origin: str) -> requests.Response:
    return requests.post(
        idp.token_url,
        data={"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"},
        auth=(client_id, SECRET),
        headers={"Origin": origin},
        timeout=10,
    )


def test_real_request_is_readable_only_by_its_clients_origins(idp: MockIdP) -> None:
    mine = cc(idp, APP, ALLOWED)
    assert mine.status_code == 200
    assert mine.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert mine.headers["Vary"] == "Origin"
    assert "X-ORACLE-DMS-ECID" in mine.headers["Access-Control-Expose-Headers"]
    not_mine = cc(idp, OTHER, ALLOWED)  # ALLOWED is APP's origin, not OTHER's
    assert not_mine.status_code == 200
    assert "Access-Control-Allow-Origin" not in not_mine.headers
    stranger = cc(idp, APP, STRANGER)
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert "Access-Control-Allow-Origin" not in requests.post(idp.token_url, timeout=10).headers


def test_errors_before_a_client_is_known_are_readable_by_known_origins(idp: MockIdP) -> None:
    failed = cc(idp, "nobody", ALSO_ALLOWED)
    assert failed.status_code == 401
    assert failed.headers["Access-Control-Allow-Origin"] == ALSO_ALLOWED
    assert "Access-Control-Allow-Origin" not in cc(idp, "nobody", STRANGER).headers


def test_userinfo_follows_the_access_tokens_client(idp: MockIdP) -> None:
    token = requests.post(
        idp.token_url,
        data={"grant_type": "password", "username": "user@example.com", "password": "Welcome1!", "scope": "openid"},
        auth=(APP, SECRET),
        timeout=10,
    ).json()["access_token"]
    allowed = requests.get(
        idp.userinfo_url, headers={"Authorization": f"Bearer {token}", "Origin": ALLOWED}, timeout=10
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    other = requests.get(
        idp.userinfo_url, headers={"Authorization": f"Bearer {token}", "Origin": ALSO_ALLOWED}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in other.headers


PAGE = """<!doctype html><title>app</title><script>
async function call(url, options) {
  try {
    const response = await fetch(url, options);
    return {status: response.status, body: await response.json(), ecid: response.headers.get("X-ORACLE-DMS-ECID")};
  } catch (error) {
    return {failed: String(error)};
  }
}
</script>"""


def token_call(idp: MockIdP, client_id: str) -> str:
    basic = base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()
    return (
        f"call({idp.token_url!r}, {{method: 'POST', headers: {{'Authorization': 'Basic {basic}', "
        "'Content-Type': 'application/x-www-form-urlencoded'}, "
        "body: 'grant_type=client_credentials&scope=urn%3Aopc%3Aidm%3A__myscopes__'})"
    )


def test_browser_on_other_origins(browser, tmp_path: Path) -> None:  # noqa: F811 - the browser fixture
    with ExitStack() as stack:
        app_origin = stack.enter_context(page_server(PAGE))
        other_origin = stack.enter_context(page_server(PAGE))
        idp = stack.enter_context(MockIdP(write_fixtures(tmp_path, [app_origin], [])))
        page = browser.new_page()
        page.goto(app_origin)
        # An Authorization header makes the browser send a preflight first; the POST follows only if it passes.
        answer = page.evaluate(token_call(idp, APP))
        assert answer["status"] == 200, answer
        assert answer["body"]["token_type"] == "Bearer"
        assert answer["ecid"], "X-ORACLE-DMS-ECID is exposed to scripts"
        # The origin is allowed for APP only: OTHER's token response stays unreadable.
        assert "failed" in page.evaluate(token_call(idp, OTHER))
        discovery = page.evaluate(f"call({idp.discovery_url!r}, {{}})")
        assert discovery["body"]["token_endpoint"] == idp.token_url

        stranger = browser.new_page()
        stranger.goto(other_origin)
        refused = stranger.evaluate(token_call(idp, APP))
        assert refused["failed"].startswith("TypeError"), refused
        public = stranger.evaluate(f"call({idp.jwks_url!r}, {{headers: {{'Authorization': 'Bearer x'}}}})")
        assert public["status"] == 200 and public["body"]["keys"], public
