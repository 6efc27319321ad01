"""Custom issuers and `previous_issuer` over raw HTTP: after an issuer change, tokens of the issuer before stay
valid where they are presented back to the domain (userinfo, introspection, revocation, jwt-bearer assertions,
token exchange, id_token_hint); tokens of any other issuer are refused there, saying why."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP

OLD, NEW = "https://identity.oraclecloud.com/", "https://login.acme.example/"
CLIENT = ("agent", "agent-secret")
FIXTURES = """
[[clients]]
client_id = "agent"
client_secret = "agent-secret"
grant_types = ["password", "urn:ietf:params:oauth:grant-type:jwt-bearer", "token_exchange"]
post_logout_redirect_uris = ["https://app.example.com/bye"]

[[users]]
user_name = "dana@example.com"
password = "Welcome1!"

[[trusts]]
name = "This domain's own tokens"
issuer = "self"
"""


@pytest.fixture
def domain_dir(tmp_path: Path) -> Callable[[str], Path]:
    """The same identity domain (same key and tenant), with the [domain] table given."""
    shutil.copy(default_fixtures() / "signing-key.pem", tmp_path / "signing-key.pem")
    (tmp_path / "fixtures.toml").write_text(FIXTURES)

    def with_domain(table: str) -> Path:
        (tmp_path / "domain.toml").write_text(f"[domain]\ntenant = 'idcs-issuer-test'\n{table}\n")
        return tmp_path

    return with_domain


def sign_in(idp: MockIdP) -> dict[str, str]:
    response = requests.post(
        idp.token_url,
        data={"grant_type": "password", "username": "dana@example.com", "password": "Welcome1!", "scope": "openid"},
        auth=CLIENT,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def old_tokens(domain_dir: Callable[[str], Path]) -> dict[str, str]:
    with MockIdP(domain_dir(f"issuer = '{OLD}'")) as before:
        return sign_in(before)


@pytest.fixture
def changed(domain_dir: Callable[[str], Path], old_tokens: dict[str, str]) -> Iterator[MockIdP]:
    with MockIdP(domain_dir(f"issuer = '{NEW}'\nprevious_issuer = '{OLD}'")) as after:
        yield after


def userinfo(idp: MockIdP, token: str) -> requests.Response:
    return requests.get(idp.url + "/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def introspect(idp: MockIdP, token: str) -> dict:
    return requests.post(idp.url + "/oauth2/v1/introspect", data={"token": token}, auth=CLIENT, timeout=10).json()


def jwt_bearer(idp: MockIdP, assertion: str) -> requests.Response:
    data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion, "scope": "openid"}
    return requests.post(idp.token_url, data=data, auth=CLIENT, timeout=10)


def exchange(idp: MockIdP, subject: str) -> requests.Response:
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject,
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "scope": "openid",
    }
    return requests.post(idp.token_url, data=data, auth=CLIENT, timeout=10)


def test_custom_issuer_everywhere(domain_dir: Callable[[str], Path]):
    with MockIdP(domain_dir(f"issuer = '{NEW}'")) as idp:
        for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            assert requests.get(idp.url + path, timeout=10).json()["issuer"] == NEW
        tokens = sign_in(idp)
        assert introspect(idp, tokens["access_token"])["iss"] == NEW
        assert userinfo(idp, tokens["access_token"]).status_code == 200


def test_previous_issuers_tokens_stay_valid_where_presented_back(changed: MockIdP, old_tokens: dict[str, str]):
    access, id_token = old_tokens["access_token"], old_tokens["id_token"]
    assert userinfo(changed, access).json()["sub"] == "dana@example.com"
    assert introspect(changed, access) | {"active": True} == introspect(changed, access)
    assert introspect(changed, access)["iss"] == OLD

    again = jwt_bearer(changed, id_token)  # the domain's own ID token as an assertion
    assert again.status_code == 200, again.text
    exchanged = exchange(changed, access)  # through the "self" trust
    assert exchanged.status_code == 200, exchanged.text
    assert introspect(changed, exchanged.json()["access_token"])["iss"] == NEW  # new tokens: the new issuer

    bye = requests.get(
        changed.url + "/oauth2/v1/userlogout",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "https://app.example.com/bye"},
        allow_redirects=False,
        timeout=10,
    )
    assert bye.status_code == 302 and bye.headers["location"] == "https://app.example.com/bye"

    revoked = requests.post(changed.url + "/oauth2/v1/revoke", data={"token": access}, auth=CLIENT, timeout=10)
    assert revoked.status_code == 200
    assert introspect(changed, access) == {"active": False}


def test_without_previous_issuer_the_old_tokens_are_refused(
    domain_dir: Callable[[str], Path], old_tokens: dict[str, str]
):
    with MockIdP(domain_dir(f"issuer = '{NEW}'")) as idp:
        access, id_token = old_tokens["access_token"], old_tokens["id_token"]
        refused = userinfo(idp, access)
        assert refused.status_code == 401
        assert refused.json()["error_description"] == (
            f"The token's iss '{OLD}' is not this identity domain's issuer ('{NEW}')."
        )
        assert introspect(idp, access) == {"active": False}
        assert jwt_bearer(idp, id_token).json()["error"] == "invalid_grant"
        body = exchange(idp, access).json()
        assert body["error"] == "invalid_grant" and "Untrusted issuer" in body["error_description"]


def test_a_third_issuer_is_refused_even_with_previous_issuer(changed: MockIdP):
    minted = changed.mint_token("agent", user="dana@example.com", defects=["wrong_issuer"])
    refused = userinfo(changed, minted)
    assert refused.status_code == 401
    assert "is not this identity domain's issuer" in refused.json()["error_description"]
    assert f"'{NEW}' or '{OLD}'" in refused.json()["error_description"]


def test_previous_issuer_must_be_a_url(tmp_path: Path):
    from mockidp.core.fixtures import check_fixtures

    (tmp_path / "d.toml").write_text("[domain]\nprevious_issuer = 'identity'\n")
    assert [str(p) for p in check_fixtures(tmp_path)] == [
        "d.toml: domain.previous_issuer: must be an absolute http(s) URL (the issuer before a change), "
        "or \"\" for none, got 'identity'"
    ]
