"""Client quirks, switchable in [domain] (docs/client-compatibility.md): the JWKS' key_ops, groups and app roles
as names instead of objects, profile claims in ID tokens. The defaults stay the real service's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from mockidp.core.fixtures import check_fixtures
from mockidp.testing import MockIdP
from tests.conftest import SEED_CLIENT_ID, SEED_CLIENT_SECRET

ROOT = Path(__file__).resolve().parent.parent
BOB = "bob@example.com"


def fixtures_with(tmp_path: Path, domain: str) -> Path:
    directory = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures" / "default", directory)
    (directory / "quirks.toml").write_text(f"[domain]\n{domain}\n")
    return directory


@pytest.fixture
def quirky(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[MockIdP]:
    with MockIdP(fixtures_with(tmp_path, request.param)) as idp:
        yield idp


def password_grant(idp: MockIdP, scope: str) -> dict:
    response = requests.post(
        idp.token_url,
        auth=(SEED_CLIENT_ID, SEED_CLIENT_SECRET),
        data={"grant_type": "password", "username": BOB, "password": "Welcome1!", "scope": scope},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def verified(idp: MockIdP, token: str, audience: str) -> dict:
    key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=idp.issuer)


def test_the_defaults_are_the_real_service_s(mockidp: MockIdP) -> None:
    (key,) = requests.get(mockidp.jwks_url, timeout=10).json()["keys"]
    assert key["key_ops"] == ["verify", "encrypt"]
    answer = password_grant(mockidp, "openid profile email groups get_groups")
    id_token = verified(mockidp, answer["id_token"], SEED_CLIENT_ID)
    assert "name" not in id_token and "email" not in id_token  # userinfo has them, the ID token not
    assert {g["name"] for g in id_token["groups"]} == {"Developers", "Orders Admins"}
    info = requests.get(mockidp.userinfo_url, headers={"Authorization": f"Bearer {answer['access_token']}"}, timeout=10)
    assert {g["displayName"] for g in info.json()["groups"]} == {"Developers", "Orders Admins"}


@pytest.mark.parametrize(
    ("quirky", "expected"),
    [('jwks_key_ops = ["verify"]', ["verify"]), ("jwks_key_ops = []", None)],
    indirect=["quirky"],
)
def test_the_jwks_key_ops_switch(quirky: MockIdP, expected: list[str] | None) -> None:
    (key,) = requests.get(quirky.jwks_url, timeout=10).json()["keys"]
    assert key.get("key_ops") == expected
    assert list(key)[: list(key).index("x5c")] == ["kty", "x5t#S256", "e", "x5t", "kid"]  # the real order kept
    quirky.rotate_keys()
    keys = requests.get(quirky.jwks_url, timeout=10).json()["keys"]
    assert [k.get("key_ops") for k in keys] == [expected, expected]
    token = quirky.mint_token(SEED_CLIENT_ID)
    assert verified(quirky, token, "https://orders.example.com/")["client_id"] == SEED_CLIENT_ID


@pytest.mark.parametrize("quirky", ['group_claims = "names"'], indirect=True)
def test_groups_and_app_roles_as_names(quirky: MockIdP) -> None:
    answer = password_grant(quirky, "openid groups get_groups approles get_approles")
    id_token = verified(quirky, answer["id_token"], SEED_CLIENT_ID)
    assert id_token["groups"] == ["Developers", "Orders Admins"]
    assert id_token["appRoles"] == ["Orders Approver", "User Administrator"]
    info = requests.get(quirky.userinfo_url, headers={"Authorization": f"Bearer {answer['access_token']}"}, timeout=10)
    assert info.json()["groups"] == ["Developers", "Orders Admins"]
    assert info.json()["appRoles"] == ["Orders Approver", "User Administrator"]


@pytest.mark.parametrize("quirky", ["id_token_profile = true"], indirect=True)
def test_profile_claims_in_id_tokens(quirky: MockIdP) -> None:
    id_token = verified(quirky, password_grant(quirky, "openid profile email")["id_token"], SEED_CLIENT_ID)
    assert (id_token["name"], id_token["email"], id_token["email_verified"]) == ("Bob Builder", BOB, True)
    assert id_token["given_name"] == "Bob" and id_token["preferred_username"] == BOB
    assert id_token["tok_type"] == "IT" and id_token["sub"] == BOB  # the domain's own claims are not replaced
    bare = verified(quirky, password_grant(quirky, "openid")["id_token"], SEED_CLIENT_ID)
    assert "name" not in bare and "email" not in bare  # only what the scope asks for


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('jwks_key_ops = ["verify", "fly"]', "domain.jwks_key_ops[1]: must be one of sign, verify, encrypt"),
        ('group_claims = "strings"', "domain.group_claims: must be one of objects, names, got 'strings'"),
        ('id_token_profile = "yes"', "domain.id_token_profile:"),
    ],
)
def test_a_wrong_switch_is_refused_with_its_path(tmp_path: Path, line: str, message: str) -> None:
    problems = check_fixtures(fixtures_with(tmp_path, line))
    # (the file named is the first with a [domain] table: a limitation of the fixture reader, not of the switch)
    assert any(message in f"{p.path}: {p.message}" for p in problems), problems
