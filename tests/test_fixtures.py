"""Fixture loading and validation: every mistake is reported with its file and key path, all at once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mockidp.core.fixtures import FixtureError, check_fixtures, load_fixtures
from mockidp.paths import default_fixtures
from tests.conftest import ORDERS, SEED_CLIENT_ID, SEED_USER


def problems(directory) -> list[str]:
    return [str(p) for p in check_fixtures(directory)]


def test_shipped_default_fixtures_are_valid():
    fixtures = load_fixtures(default_fixtures())
    assert SEED_CLIENT_ID in fixtures.clients
    assert fixtures.users[SEED_USER].updated_at == 1495136783
    assert [r.audience for r in fixtures.resources] == [ORDERS]
    assert any(c.is_public for c in fixtures.clients.values())
    bob = fixtures.users["bob@example.com"]
    assert bob.groups and bob.app_roles


def test_files_are_merged_and_defaults_applied(write_fixtures):
    directory = write_fixtures(
        **{
            "a.toml": """
            [domain]
            tenant = "idcs-0123456789abcdef0123456789abcdef"
            [[clients]]
            client_id = "c1"
            client_secret = "s1"
        """,
            "b.json": '{"users": [{"user_name": "u1", "password": "p"}], "domain": {"access_token_ttl": 600}}',
        }
    )
    fixtures = load_fixtures(directory)
    assert fixtures.domain.tenant == "idcs-0123456789abcdef0123456789abcdef"
    assert fixtures.domain.access_token_ttl == 600
    assert fixtures.domain.issuer == "https://identity.oraclecloud.com/"
    assert fixtures.clients["c1"].grant_types == ("client_credentials",)
    assert fixtures.users["u1"].email == ""


def test_every_problem_is_reported_with_file_and_key_path(write_fixtures):
    directory = write_fixtures(
        **{
            "domain.toml": """
            [domain]
            tenant = "Not A Tenant"
            access_token_ttl = 5
            colour = "blue"
            [[resources]]
            name = "API"
            audience = "https://api.example.com/"
            scopes = []
        """,
            "clients.toml": """
            [[clients]]
            client_id = "c1"
            grant_types = ["client_credentials", "teleport"]
            redirect_uris = ["localhost:8001", "https://app.example.com/cb#frag"]
            allowed_scopes = ["https://api.example.com/delete"]
            claims = { sub = "someone" }
            [[clients]]
            client_id = "c1"
            client_secret = "x"
            [[clients]]
            client_id = 42
        """,
            "users.json": """{"users": [{"user_name": "u1", "email_verified": "yes"}, {"password": "p"}]}""",
            "codes.toml": """
            [[codes]]
            code = "abc"
            client_id = "nobody"
            user = "ghost"
            redirect_uri = "https://x.example.com/"
        """,
        }
    )
    found = problems(directory)
    expected = [
        "domain.toml: domain.colour: unknown key",
        "domain.toml: domain.tenant: must be a lowercase DNS label",
        "domain.toml: domain.access_token_ttl: must be between 60 and 31536000, got 5",
        "domain.toml: resources[0].scopes: must list at least one scope",
        "clients.toml: clients[0].grant_types[1]: unknown grant type 'teleport'",
        "clients.toml: clients[0].redirect_uris[1]: must be an absolute URL without a fragment",
        "clients.toml: clients[0].claims: sub is set by the domain itself",
        "clients.toml: clients[1].client_id: duplicate client_id 'c1' (first in clients.toml: clients[0])",
        "clients.toml: clients[2].client_id: must be a string, got a number (42)",
        "users.json: users[0].email_verified: must be a boolean, got a string ('yes')",
        "users.json: users[1].user_name: is required (a string)",
        "codes.toml: codes[0].client_id: no client with client_id 'nobody'",
        "codes.toml: codes[0].user: no user with user_name 'ghost'",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), f"missing {line!r} in:\n" + "\n".join(found)


def test_cross_checks_on_valid_types(write_fixtures):
    directory = write_fixtures(
        **{
            "f.toml": """
            [[resources]]
            name = "API"
            audience = "https://api.example.com/"
            scopes = ["read"]
            [[clients]]
            client_id = "spa"
            grant_types = ["client_credentials", "authorization_code"]
            allowed_scopes = ["https://api.example.com/read", "https://api.example.com/delete", "openid"]
            [[clients]]
            client_id = "web"
            client_secret = "s"
            redirect_uris = ["https://web.example.com/cb"]
            public_key = "missing.pem"
            [[users]]
            user_name = "u"
            [[codes]]
            code = "c"
            client_id = "web"
            user = "u"
            redirect_uri = "https://other.example.com/cb"
            scope = "openid https://api.example.com/read"
        """,
        }
    )
    found = problems(directory)
    expected = [
        "f.toml: clients[0].grant_types: a public client (no client_secret) cannot use client_credentials",
        "f.toml: clients[0].redirect_uris: authorization_code and implicit need at least one redirect URI",
        "f.toml: clients[0].allowed_scopes[1]: 'https://api.example.com/delete' is not a scope of any resource",
        "f.toml: clients[1].public_key: no such file 'missing.pem'",
        "f.toml: codes[0].redirect_uri: 'https://other.example.com/cb' is not one of client web's redirect_uris",
        "f.toml: codes[0].scope: client web requested scope 'https://api.example.com/read', which is not in its "
        "allowed_scopes",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), f"missing {line!r} in:\n" + "\n".join(found)
    assert len(found) == len(expected), "\n".join(found)


def test_syntax_errors_name_the_file(write_fixtures):
    directory = write_fixtures(**{"a.toml": "[[clients]\nclient_id = 1\n", "b.json": '{"clients": [}'})
    found = problems(directory)
    assert any(p.startswith("a.toml: (syntax): not valid TOML") for p in found), found
    assert any(p.startswith("b.json: line 1: not valid JSON") for p in found), found


def test_wrong_section_shapes(write_fixtures):
    directory = write_fixtures(**{"a.toml": "[clients]\nclient_id = 'x'\n[extras]\nx = 1\n"})
    found = problems(directory)
    assert "a.toml: clients: must be an array of tables ([[clients]]), got a table" in found
    assert any(p.startswith("a.toml: extras: unknown section") for p in found)


def test_empty_and_missing_directories(tmp_path):
    assert problems(tmp_path) == [f"{tmp_path}: (directory): holds no *.toml or *.json fixture file"]
    assert problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: (directory): no such directory"]
    with pytest.raises(FixtureError):
        load_fixtures(tmp_path)


def test_scope_defined_by_two_resources(write_fixtures):
    directory = write_fixtures(
        **{
            "r.toml": """
            [[resources]]
            name = "A"
            audience = "https://a.example.com/"
            scopes = ["x/read"]
            [[resources]]
            name = "B"
            audience = "https://a.example.com/x/"
            scopes = ["read"]
        """
        }
    )
    assert problems(directory) == [
        "r.toml: resources[1].scopes: 'https://a.example.com/x/read' is also a scope of resource 'A'"
    ]


def test_domain_key_set_twice_across_files(write_fixtures):
    directory = write_fixtures(**{"a.toml": "[domain]\ncode_ttl = 60\n", "b.toml": "[domain]\ncode_ttl = 90\n"})
    assert problems(directory) == ["b.toml: domain.code_ttl: already set in a.toml"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockidp", *args], capture_output=True, text=True, timeout=60)


def test_check_command(write_fixtures):
    ok = run_cli("check", str(default_fixtures()))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "fixtures are valid" in ok.stdout
    bad = run_cli("check", str(write_fixtures(**{"c.toml": "[[clients]]\nclient_id = ''\n"})))
    assert bad.returncode == 1
    assert bad.stdout.strip() == "c.toml: clients[0].client_id: must not be empty"
    assert "Traceback" not in bad.stdout + bad.stderr


def test_serve_refuses_bad_fixtures_with_the_same_messages(write_fixtures):
    directory = write_fixtures(**{"c.toml": "[[users]]\nuser_name = 'a b'\n"})
    result = run_cli("serve", "--fixtures", str(directory), "--port", "0")
    assert result.returncode == 1
    assert "c.toml: users[0].user_name: must not contain spaces" in result.stderr
    assert "nothing started" in result.stderr
    assert "Traceback" not in result.stderr


def test_shipped_clients_cover_every_flow(idp):
    """The default fixtures let device code and implicit work out of the box, not only code and secrets."""
    import requests

    device = requests.post(
        f"{idp.url}/oauth2/v1/device",
        timeout=10,
        data={"response_type": "device_code", "scope": "openid", "client_id": "5d1f0c9e8b7a46e3a2c1b0f9e8d7c6b5"},
    )
    assert device.status_code == 200, device.text
    assert set(device.json()) >= {"device_code", "user_code", "verification_uri", "expires_in", "interval"}
    implicit = requests.get(
        idp.authorize_url,
        allow_redirects=False,
        timeout=10,
        params={
            "client_id": "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f",
            "response_type": "id_token",
            "redirect_uri": "http://localhost:3000/callback",
            "scope": "openid",
            "nonce": "n",
            "state": "s",
        },
    )
    # no session yet: the sign-in page (not an unauthorized_client redirect)
    assert implicit.status_code in (200, 302, 303), implicit.text
    assert "error=" not in implicit.headers.get("location", "")


def test_a_file_given_as_the_fixture_directory_is_named_as_a_file_with_its_folder(write_fixtures):
    directory = write_fixtures(**{"a.toml": "[[users]]\nuser_name = 'u'\n"})
    assert problems(directory / "a.toml") == [
        f"{directory / 'a.toml'}: (directory): is a file; fixtures are a directory of *.toml / *.json files, "
        f"such as its folder {str(directory)!r}"
    ]


def test_a_code_with_a_bad_redirect_still_has_its_user_and_client_checked(write_fixtures):
    directory = write_fixtures(
        **{
            "a.toml": """
            [[clients]]
            client_id = "web"
            client_secret = "s"
            grant_types = ["authorization_code"]
            redirect_uris = ["http://localhost:8001"]

            [[codes]]
            code = "c1"
            client_id = "web"
            user = "ghost"
            redirect_uri = "localhost:8001"

            [[codes]]
            code = "c2"
            client_id = "nobody"
            user = "ghost"
            redirect_uri = "http://x.example/#frag"
            """
        }
    )
    assert problems(directory) == [
        'a.toml: codes[0].redirect_uri: looks like host:port without a scheme; write e.g. "http://localhost:8001"',
        "a.toml: codes[1].redirect_uri: must be an absolute URL without a fragment, got 'http://x.example/#frag'",
        "a.toml: codes[0].user: no user with user_name 'ghost'",
        "a.toml: codes[1].client_id: no client with client_id 'nobody'",
        "a.toml: codes[1].user: no user with user_name 'ghost'",
    ]


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_in_user_names_and_client_ids_are_refused(write_fixtures, character):
    escaped = json.dumps(character)
    directory = write_fixtures(
        **{
            "a.json": f'{{"users": [{{"user_name": "al{escaped[1:-1]}ice"}}], '
            f'"clients": [{{"client_id": "c{escaped[1:-1]}", "client_secret": "s"}}]}}'
        }
    )
    code = f"U+{ord(character):04X}"
    assert problems(directory) == [
        f"a.json: clients[0].client_id: must not contain control characters; {'c' + character!r} has {code} "
        "at position 1",
        f"a.json: users[0].user_name: must not contain control characters; {'al' + character + 'ice'!r} has "
        f"{code} at position 2",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "check", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "must not contain control characters" in result.stdout
