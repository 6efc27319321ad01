"""RFC 8707 resource indicators over raw HTTP: `resource` selects the resource app at token and authorize, the
token's aud follows it, and every way a client can get it wrong is a 4xx in the identity domain's shape."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.flows import authorize, follow, pkce, response_params, sign_in
from tests.helpers import assert_error, verify

ORDERS = "https://orders.example.com/"
LEDGER = "https://ledger.example.com/mcp"  # a resource app with no audience: the resource is its audience
REPORTS_AUD, REPORTS = "https://reports.example.com/", "https://reports.example.com/api"
AGENT = ("agent", "agent-secret")
OTHER = ("other", "other-secret")
CALLBACK = "http://127.0.0.1:9/callback"

FIXTURES = f"""
[[resources]]
name = "Orders API"
audience = "{ORDERS}"
scopes = ["read", "write"]

[[resources]]
name = "Ledger MCP server"
resource = "{LEDGER}"
scopes = ["read", "ledger.write"]

[[resources]]
name = "Reports"
audience = "{REPORTS_AUD}"
resource = "{REPORTS}"
scopes = ["view"]

[[clients]]
client_id = "agent"
client_secret = "agent-secret"
grant_types = ["client_credentials", "password", "refresh_token", "authorization_code", "device_code"]
redirect_uris = ["{CALLBACK}"]
allowed_scopes = ["{ORDERS}read", "{LEDGER}read", "{LEDGER}ledger.write", "{REPORTS_AUD}view"]

[[clients]]
client_id = "other"
client_secret = "other-secret"
grant_types = ["client_credentials"]
allowed_scopes = ["{ORDERS}read"]

[[users]]
user_name = "dana@example.com"
password = "Welcome1!"
"""


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    directory = tmp_path_factory.mktemp("resources")
    (directory / "fixtures.toml").write_text(FIXTURES)
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    with MockIdP(directory) as server:
        yield server


def token(idp: MockIdP, auth: tuple[str, str] = AGENT, **data: str) -> requests.Response:
    return requests.post(idp.token_url, data=data, auth=auth, timeout=10)


def access_claims(idp: MockIdP, response: requests.Response, audience: str) -> dict:
    assert response.status_code == 200, response.text
    return verify(idp, response.json()["access_token"], audience)


@pytest.mark.parametrize(
    ("resource", "scope", "aud", "claim"),
    [
        (LEDGER, "read", LEDGER, "read"),  # no audience: the resource value is the aud
        (LEDGER, f"{LEDGER}read ledger.write", LEDGER, "read ledger.write"),  # short and fully qualified mixed
        (ORDERS, "read", ORDERS, "read"),  # an app without a resource key is named by its audience
        (REPORTS, "view", REPORTS_AUD, "view"),  # the resource key names it, the audience is the aud
    ],
)
def test_resource_selects_the_app_and_its_audience(idp: MockIdP, resource: str, scope: str, aud: str, claim: str):
    claims = access_claims(
        idp, token(idp, grant_type="client_credentials", resource=resource, scope=scope), audience=aud
    )
    assert claims["aud"] == aud
    assert claims["scope"] == claim


def test_resource_without_scope_grants_the_clients_scopes_of_it(idp: MockIdP):
    claims = access_claims(idp, token(idp, grant_type="client_credentials", resource=LEDGER), audience=LEDGER)
    assert claims["scope"] == "read ledger.write"


def test_without_resource_nothing_changes(idp: MockIdP):
    claims = access_claims(idp, token(idp, grant_type="client_credentials", scope=f"{ORDERS}read"), audience=ORDERS)
    assert claims["scope"] == "read"
    short = token(idp, grant_type="client_credentials", scope="read")
    assert_error(short, 400, "invalid_scope")  # short scopes need the resource to say whose they are


def test_unknown_resource_is_invalid_target(idp: MockIdP):
    body = assert_error(
        token(idp, grant_type="client_credentials", resource="https://nowhere.example.com/mcp", scope="read"),
        400,
        "invalid_target",
    )
    assert "'https://nowhere.example.com/mcp' is not a resource server" in body["error_description"]
    assert LEDGER in body["error_description"]  # it lists what the domain has


def test_resource_the_client_may_not_use_is_invalid_target(idp: MockIdP):
    body = assert_error(
        token(idp, OTHER, grant_type="client_credentials", resource=LEDGER, scope="read"), 400, "invalid_target"
    )
    assert "Client other may not get tokens for resource" in body["error_description"]


@pytest.mark.parametrize(
    ("scope", "named"),
    [
        (f"{ORDERS}read", f"{ORDERS}read"),  # a scope of another resource
        ("write", "write"),  # a short value the resource does not define
        ("urn:opc:idm:__myscopes__", "urn:opc:idm:__myscopes__"),
        ("urn:opc:resource:multiresourcescope read", "urn:opc:resource:multiresourcescope"),
    ],
)
def test_scope_that_is_not_the_resources_is_invalid_scope(idp: MockIdP, scope: str, named: str):
    body = assert_error(token(idp, grant_type="client_credentials", resource=LEDGER, scope=scope), 400, "invalid_scope")
    assert f'"{named}" is not a scope of resource' in body["error_description"]


def test_scope_of_the_resource_the_client_was_not_given(idp: MockIdP):
    # "other" may use Orders (read) but was not given Orders write
    assert_error(
        token(idp, OTHER, grant_type="client_credentials", resource=ORDERS, scope="write"),
        400,
        "unauthorized_client",
        "Client authorization failed.",
    )


def test_repeated_resource_is_refused(idp: MockIdP):
    response = requests.post(
        idp.token_url,
        data=[("grant_type", "client_credentials"), ("resource", LEDGER), ("resource", ORDERS)],
        auth=AGENT,
        timeout=10,
    )
    assert_error(response, 400, "invalid_request")


def test_refresh_with_resource_narrows_to_it(idp: MockIdP):
    both = token(
        idp,
        grant_type="password",
        username="dana@example.com",
        password="Welcome1!",
        scope=f"{ORDERS}read {LEDGER}read urn:opc:resource:multiresourcescope offline_access",
    )
    assert both.status_code == 200, both.text
    assert len(both.json()["tokenResponses"]) == 2
    refresh_token = both.json()["refresh_token"]

    narrowed = token(idp, grant_type="refresh_token", refresh_token=refresh_token, resource=LEDGER)
    claims = access_claims(idp, narrowed, audience=LEDGER)
    assert (claims["aud"], claims["scope"]) == (LEDGER, "read offline_access")
    assert "tokenResponses" not in narrowed.json()

    short = token(idp, grant_type="refresh_token", refresh_token=refresh_token, resource=ORDERS)
    assert access_claims(idp, short, audience=ORDERS)["scope"] == "read offline_access"

    # openid alone with the resource: the grant's scopes of that resource, not every scope the client is allowed
    oidc_only = token(
        idp, grant_type="refresh_token", refresh_token=refresh_token, resource=LEDGER, scope="offline_access"
    )
    assert access_claims(idp, oidc_only, audience=LEDGER)["scope"] == "read offline_access"

    wider = token(idp, grant_type="refresh_token", refresh_token=refresh_token, resource=LEDGER, scope="ledger.write")
    assert_error(wider, 400, "invalid_scope")
    elsewhere = token(idp, grant_type="refresh_token", refresh_token=refresh_token, resource=REPORTS)
    body = assert_error(elsewhere, 400, "invalid_target")
    assert "The original grant has no scope of resource" in body["error_description"]


def code_flow(idp: MockIdP, **params: str) -> requests.Response:
    session = requests.Session()
    verifier, challenge = pkce()
    page = follow(
        session,
        authorize(
            session,
            idp.url,
            client_id="agent",
            response_type="code",
            redirect_uri=CALLBACK,
            state="s1",
            code_challenge=challenge,
            code_challenge_method="S256",
            **params,
        ),
    )
    back = sign_in(session, page, "dana@example.com")
    assert back.status_code == 302, back.text
    answer = response_params(back.headers["location"])
    assert answer["state"] == "s1"
    return token(
        idp,
        grant_type="authorization_code",
        code=answer["code"],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
        **{k: v for k, v in params.items() if k == "resource"},
    )


def test_authorization_code_with_resource(idp: MockIdP):
    answer = code_flow(idp, resource=LEDGER, scope="openid read")
    claims = access_claims(idp, answer, audience=LEDGER)
    assert claims["scope"] == "read openid"
    assert claims["sub"] == "dana@example.com"
    assert "id_token" in answer.json()


def test_authorize_with_an_unknown_resource_redirects_invalid_target(idp: MockIdP):
    session = requests.Session()
    _, challenge = pkce()
    response = authorize(
        session,
        idp.url,
        client_id="agent",
        response_type="code",
        redirect_uri=CALLBACK,
        state="s2",
        scope="read",
        resource="https://nowhere.example.com/",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert response.status_code == 302
    assert response.headers["location"].startswith(CALLBACK + "?")
    answer = response_params(response.headers["location"])
    assert answer["error"] == "invalid_target"
    assert answer["state"] == "s2"
    assert "is not a resource server of this identity domain" in answer["error_description"]


def test_code_redeemed_for_a_resource_it_was_not_granted(idp: MockIdP):
    session = requests.Session()
    verifier, challenge = pkce()
    page = follow(
        session,
        authorize(
            session,
            idp.url,
            client_id="agent",
            response_type="code",
            redirect_uri=CALLBACK,
            state="s3",
            scope=f"{LEDGER}read",
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
    )
    code = response_params(sign_in(session, page, "dana@example.com").headers["location"])["code"]
    answer = token(
        idp, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, code_verifier=verifier, resource=ORDERS
    )
    assert_error(answer, 400, "invalid_target")


def test_device_authorization_with_resource(idp: MockIdP):
    def device(**data: str) -> requests.Response:
        return requests.post(idp.url + "/oauth2/v1/device", data=data, auth=AGENT, timeout=10)

    started = device(response_type="device_code", scope="read", resource=LEDGER)
    assert started.status_code == 200, started.text
    assert {"device_code", "user_code", "verification_uri"} <= set(started.json())
    assert_error(
        device(response_type="device_code", scope="read", resource="https://x.example.com/"), 400, "invalid_target"
    )
    assert_error(device(response_type="device_code", scope="read"), 400, "invalid_scope")  # short needs the resource


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "A"\nscopes = ["x"]', "give the audience"),
        ('name = "A"\nresource = "not a uri"\nscopes = ["x"]', "must be an absolute URI"),
        ('name = "A"\nresource = "https://a.example.com/#frag"\nscopes = ["x"]', "without a fragment"),
    ],
)
def test_fixture_problems(tmp_path: Path, entry: str, message: str):
    from mockidp.core.fixtures import check_fixtures

    (tmp_path / "f.toml").write_text(f"[[resources]]\n{entry}\n")
    problems = [str(problem) for problem in check_fixtures(tmp_path)]
    assert any(message in problem and "resources[0]" in problem for problem in problems), problems


def test_fixture_two_apps_with_one_resource(tmp_path: Path):
    from mockidp.core.fixtures import check_fixtures

    (tmp_path / "f.toml").write_text(
        '[[resources]]\nname = "A"\nresource = "https://a.example.com/"\naudience = "a1"\nscopes = ["x"]\n'
        '[[resources]]\nname = "B"\nresource = "https://a.example.com/"\naudience = "b1"\nscopes = ["x"]\n'
    )
    problems = [str(problem) for problem in check_fixtures(tmp_path)]
    assert problems == ["f.toml: resources[1].resource: 'https://a.example.com/' already names resource 'A'"]
