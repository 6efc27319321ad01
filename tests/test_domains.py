"""Several identity domains in one server: each at /tenants/<tenant> and at the root for a Host naming it,
with its own keys, clients, users and tokens that do not cross over."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP

A, B = "idcs-aaaa0000aaaa0000aaaa0000aaaa0000", "idcs-bbbb1111bbbb1111bbbb1111bbbb1111"
CLIENT_A, CLIENT_B = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0", "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
SECRET = "idcscs-00000000-0000-4000-8000-000000000000"


def domain_dir(root: Path, tenant: str, client_id: str, *, key_from: Path | None = None) -> Path:
    directory = root / tenant
    directory.mkdir()
    (directory / "domain.toml").write_text(
        textwrap.dedent(
            f"""
            [domain]
            tenant = "{tenant}"
            issuer = "self"

            [[clients]]
            client_id = "{client_id}"
            client_secret = "{SECRET}"
            grant_types = ["client_credentials", "password"]
            app_roles = ["Authenticated Client"]

            [[users]]
            user_name = "same@example.com"
            password = "Welcome1!"
            """
        )
    )
    if key_from is not None:
        shutil.copy(key_from, directory / "signing-key.pem")
    return directory


@pytest.fixture
def two(tmp_path: Path) -> Iterator[MockIdP]:
    with MockIdP([domain_dir(tmp_path, A, CLIENT_A), domain_dir(tmp_path, B, CLIENT_B)]) as idp:
        yield idp


def user_token(base: str, client_id: str) -> str:
    response = requests.post(
        f"{base}/oauth2/v1/token",
        data={"grant_type": "password", "username": "same@example.com", "password": "Welcome1!", "scope": "openid"},
        auth=(client_id, SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_each_domain_advertises_its_own_base(two: MockIdP) -> None:
    for tenant in (A, B):
        base = two.tenant_url(tenant)
        discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
        assert discovery["issuer"] == base
        assert discovery["token_endpoint"] == f"{base}/oauth2/v1/token"
    port = two.url.rsplit(":", 1)[1]
    by_host = requests.get(two.discovery_url, headers={"Host": f"{B}.localhost:{port}"}, timeout=10).json()
    assert by_host["issuer"] == f"http://{B}.localhost:{port}"
    assert by_host["jwks_uri"] == f"http://{B}.localhost:{port}/admin/v1/SigningCert/jwk"
    oracle_host = requests.get(
        two.discovery_url, headers={"Host": f"{B}.identity.oraclecloud.com:{port}"}, timeout=10
    ).json()
    assert oracle_host["token_endpoint"] == f"http://{B}.identity.oraclecloud.com:{port}/oauth2/v1/token"
    root = requests.get(two.discovery_url, timeout=10).json()
    assert root["issuer"] == two.url, "a Host that names no tenant gets the first domain"


def test_domains_have_their_own_keys_and_clients(two: MockIdP) -> None:
    jwks_a = requests.get(f"{two.tenant_url(A)}/admin/v1/SigningCert/jwk", timeout=10).json()
    jwks_b = requests.get(f"{two.tenant_url(B)}/admin/v1/SigningCert/jwk", timeout=10).json()
    assert jwks_a["keys"][0]["n"] != jwks_b["keys"][0]["n"]
    wrong = requests.post(
        f"{two.tenant_url(B)}/oauth2/v1/token",
        data={"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"},
        auth=(CLIENT_A, SECRET),
        timeout=10,
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_tokens_do_not_cross_over(two: MockIdP) -> None:
    token_a = user_token(two.tenant_url(A), CLIENT_A)
    userinfo_a = requests.get(
        f"{two.tenant_url(A)}/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {token_a}"}, timeout=10
    )
    assert userinfo_a.status_code == 200
    refused = requests.get(
        f"{two.tenant_url(B)}/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {token_a}"}, timeout=10
    )
    assert refused.status_code == 401
    assert (
        refused.json()["error_description"] == "The token signature does not verify with this identity domain's keys."
    )
    introspected = requests.post(
        f"{two.tenant_url(B)}/oauth2/v1/introspect", data={"token": token_a}, auth=(CLIENT_B, SECRET), timeout=10
    )
    assert introspected.json() == {"active": False}


def test_a_shared_signing_key_still_does_not_cross_over(tmp_path: Path) -> None:
    key = default_fixtures() / "signing-key.pem"
    dirs = [domain_dir(tmp_path, A, CLIENT_A, key_from=key), domain_dir(tmp_path, B, CLIENT_B, key_from=key)]
    with MockIdP(dirs) as idp:
        token_a = user_token(idp.tenant_url(A), CLIENT_A)
        refused = requests.get(
            f"{idp.tenant_url(B)}/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {token_a}"}, timeout=10
        )
    assert refused.status_code == 401
    assert refused.json()["error_description"] == f"The token was issued by another identity domain ({A})."


def test_unknown_tenant_is_a_clear_404(two: MockIdP) -> None:
    response = requests.get(f"{two.url}/tenants/idcs-nope/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 404
    assert response.json()["error_description"] == (
        f"There is no identity domain 'idcs-nope' here; the tenants are {A}, {B}."
    )


def test_two_domains_with_one_tenant_refuse_to_start(tmp_path: Path) -> None:
    first = domain_dir(tmp_path, A, CLIENT_A)
    second = tmp_path / "copy"
    shutil.copytree(first, second)
    with pytest.raises(ValueError, match=f"are both identity domain {A}"):
        MockIdP([first, second]).start()
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--fixtures", str(first), "--fixtures", str(second)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"mockidp: the fixtures in {first} and {second} are both identity domain {A}; give each its own "
        "[domain] tenant (a tenant left unset is derived from the signing key, so two copies of one fixture "
        "directory have the same one)"
    )


def test_cli_serves_several_domains(tmp_path: Path) -> None:
    dirs = [domain_dir(tmp_path, A, CLIENT_A), domain_dir(tmp_path, B, CLIENT_B)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockidp",
            "serve",
            "--port",
            "0",
            "--fixtures",
            str(dirs[0]),
            "--fixtures",
            str(dirs[1]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        token_b = user_token(f"{url}/tenants/{B}", CLIENT_B)
        assert token_b.count(".") == 2
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_each_domain_has_its_console(two: MockIdP) -> None:
    """The console of /tenants/<tenant> loads its files and calls the API under that prefix, and its debugger's
    callback is that domain's."""
    base = two.tenant_url(B)
    page = requests.get(f"{base}/mockidp/console", timeout=10)
    assert page.status_code == 200
    assert f'src="/tenants/{B}/mockidp/console/static/console.js"' in page.text
    assert f'data-root="/tenants/{B}"' in page.text
    assert requests.get(f"{base}/mockidp/console/static/console.css", timeout=10).status_code == 200
    overview = requests.get(f"{base}/mockidp/v1/domain", timeout=10).json()
    assert (overview["tenant"], overview["url"]) == (B, base)
    flow = requests.post(f"{base}/mockidp/v1/console/flows", json={"client_id": CLIENT_B}, timeout=10)
    assert flow.status_code == 400  # CLIENT_B has no authorization_code grant: said so, in B
    assert "not allowed the authorization_code grant" in flow.json()["error_description"]
