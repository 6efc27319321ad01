"""The OCI CLI, unchanged, as a subprocess against a real mockidp: `oci identity-domains …` with an API-key
config file written here (`--config-file`), signing every request as the SDK does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.oci_support import (
    ERIN,
    ERIN_FINGERPRINT,
    cli_env,
    fingerprint_of,
    new_private_key,
    oci_cli_executable,
    oci_config,
    write_config_file,
    write_private_key,
)


@pytest.fixture
def cli(fresh_idp, tmp_path):
    """Run `oci … --endpoint <mockidp> --config-file <erin's API-key config>`; `config=` swaps the config."""
    executable = oci_cli_executable()
    env = cli_env(tmp_path)
    default_config = write_config_file(tmp_path, oci_config(fresh_idp))

    def run(*args: str, check: bool = True, config: Path | None = None) -> subprocess.CompletedProcess:
        command = [executable, *args, "--endpoint", fresh_idp.url, "--config-file", str(config or default_config)]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        if check:
            assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
        return result

    return run


def test_users_list_get_create_delete(cli):
    listed = json.loads(cli("identity-domains", "users", "list", "--filter", f'userName eq "{ERIN}"').stdout)
    users = listed["data"]["resources"]
    assert [user["user-name"] for user in users] == [ERIN]

    created = json.loads(
        cli(
            "identity-domains",
            "user",
            "create",
            "--schemas",
            '["urn:ietf:params:scim:schemas:core:2.0:User"]',
            "--user-name",
            "cli@example.com",
            "--name",
            '{"givenName": "Cli", "familyName": "User"}',
            "--emails",
            '[{"value": "cli@example.com", "type": "work", "primary": true}]',
        ).stdout
    )["data"]
    assert created["user-name"] == "cli@example.com"

    got = json.loads(cli("identity-domains", "user", "get", "--user-id", created["id"]).stdout)["data"]
    assert got["name"]["family-name"] == "User"

    cli("identity-domains", "user", "delete", "--user-id", created["id"], "--force", "--force-delete", "true")
    missing = cli("identity-domains", "user", "get", "--user-id", created["id"], check=False)
    assert missing.returncode != 0
    assert '"status": 404' in missing.stderr


def test_users_list_all_follows_opc_next_page(cli):
    everyone = json.loads(cli("identity-domains", "users", "list", "--count", "1000").stdout)["data"]["resources"]
    paged = json.loads(cli("identity-domains", "users", "list", "--all", "--page-size", "1").stdout)
    assert sorted(user["user-name"] for user in paged["data"]["resources"]) == sorted(
        user["user-name"] for user in everyone
    )
    assert len(everyone) >= 3


def test_api_keys_list(cli):
    keys = json.loads(cli("identity-domains", "api-keys", "list").stdout)["data"]["resources"]
    assert [key["fingerprint"] for key in keys] == [ERIN_FINGERPRINT]


def test_a_key_the_domain_does_not_know_is_the_scim_401(cli, fresh_idp, tmp_path):
    other = new_private_key()
    config = oci_config(fresh_idp, key_file=write_private_key(other, tmp_path / "other.pem"))
    config["fingerprint"] = fingerprint_of(other)
    (tmp_path / "other").mkdir()
    result = cli("identity-domains", "users", "list", check=False, config=write_config_file(tmp_path / "other", config))
    assert result.returncode != 0
    assert '"status": 401' in result.stderr
