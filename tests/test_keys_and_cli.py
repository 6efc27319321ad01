"""The signing key's life across restarts, and the command line as a user runs it (real processes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
import requests

from mockidp.testing import MockIdP
from tests.helpers import token_for

CLIENT = '[[clients]]\nclient_id = "c"\nclient_secret = "s"\napp_roles = ["Authenticated Client"]\n'
MY_SCOPES = "urn:opc:idm:__myscopes__"


def test_signing_key_is_created_once_and_kept(write_fixtures):
    directory = write_fixtures(**{"c.toml": CLIENT})
    with MockIdP(directory) as first:
        token = token_for(first, auth=("c", "s"), grant_type="client_credentials", scope=MY_SCOPES)["access_token"]
        jwks = requests.get(first.jwks_url, timeout=10).json()
        tenant = first.domain.tenant
    pem = (directory / "signing-key.pem").read_text()
    assert pem.count("BEGIN PRIVATE KEY") == 1 and pem.count("BEGIN CERTIFICATE") == 2
    assert oct((directory / "signing-key.pem").stat().st_mode)[-3:] == "600"
    with MockIdP(directory) as second:
        assert requests.get(second.jwks_url, timeout=10).json() == jwks
        assert second.domain.tenant == tenant  # a generated tenant name is kept with the key
        active = requests.post(second.introspect_url, data={"token": token}, auth=("c", "s"), timeout=10).json()
        assert active["active"] is True


def test_an_unwritable_key_location_keeps_the_key_in_memory(write_fixtures, caplog):
    # A key path whose directory does not exist cannot be written even by root (as a read-only mount cannot).
    directory = write_fixtures(**{"c.toml": CLIENT + '[domain]\nsigning_key = "missing-dir/key.pem"\n'})
    with MockIdP(directory) as server:
        token = token_for(server, auth=("c", "s"), grant_type="client_credentials", scope=MY_SCOPES)["access_token"]
        assert requests.post(server.introspect_url, data={"token": token}, auth=("c", "s"), timeout=10).json()["active"]
    assert "kept in memory only" in caplog.text
    assert not (directory / "missing-dir").exists()


def test_a_key_without_certificates_gets_a_chain(write_fixtures):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    directory = write_fixtures(**{"c.toml": CLIENT})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "signing-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    with MockIdP(directory) as server:
        jwk = requests.get(server.jwks_url, timeout=10).json()["keys"][0]
        assert len(jwk["x5c"]) == 2
        assert jwt.PyJWK(jwk).key.public_numbers() == key.public_key().public_numbers()
    assert (directory / "signing-key.pem").read_text().count("BEGIN CERTIFICATE") == 2


def test_an_unusable_key_file_is_a_clear_error(write_fixtures):
    directory = write_fixtures(**{"c.toml": CLIENT, "signing-key.pem": "not a key"})
    result = run_cli("serve", "--fixtures", str(directory), "--port", "0")
    assert result.returncode == 1
    assert "signing-key.pem: not a usable RSA private key in PEM" in result.stderr
    assert "Traceback" not in result.stderr


# -- the command line -------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockidp", *args], capture_output=True, text=True, timeout=60)


def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    line = process.stdout.readline().strip()
    if not line:
        process.kill()
        raise AssertionError(f"no ready line; stderr: {process.communicate()[1]}")
    return process, line


def test_serve_prints_the_url_when_ready_and_stops_cleanly_on_sigterm():
    process, url = start("--port", "0")
    try:
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(f"{url}/.well-known/openid-configuration", timeout=10)
        assert response.status_code == 200
        assert response.json()["token_endpoint"] == f"{url}/oauth2/v1/token"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_serve_stops_on_ctrl_c():
    process, _ = start("serve", "--port", "0", "--log-level", "warning")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=15)
    assert process.returncode == 0 and "Traceback" not in err


def test_a_taken_port_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "must be a port number from 0 to 65535"),
        (["--public-url", "ftp://x"], "must be an absolute http(s) URL"),
        (["--fixtures", "/nonexistent/dir"], "/nonexistent/dir: (directory): no such directory"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_flags(args: list[str], message: str):
    result = run_cli("serve", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_token_command_mints_a_token_that_verifies_against_the_server(tmp_path: Path):
    client = "04c1e0a50787408782a5a06fb04f6522"
    result = run_cli("token", "--client", client, "--scope", "https://orders.example.com/read")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    with MockIdP() as server:
        key = jwt.PyJWKClient(server.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience="https://orders.example.com/",
            issuer="https://identity.oraclecloud.com/",
        )
        assert requests.post(
            server.introspect_url,
            data={"token": token},
            auth=(client, "5ec4e132-6cb8-4499-97fe-0c444faff293"),
            timeout=10,
        ).json()["active"]
    assert claims["sub"] == client and claims["scope"] == "read"

    user = run_cli("token", "--client", client, "--user", "user@example.com", "--json")
    assert user.returncode == 0, user.stderr
    import json

    body = json.loads(user.stdout)
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["sub"] == "user@example.com"
    assert "id_token" in body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "nope"], "no client 'nope' in the fixtures"),
        (["--client", "04c1e0a50787408782a5a06fb04f6522", "--user", "ghost"], "no user 'ghost' in the fixtures"),
        (["--client", "04c1e0a50787408782a5a06fb04f6522", "--scope", "https://x.example.com/a"], "invalid_scope"),
    ],
)
def test_token_command_errors(args: list[str], message: str):
    result = run_cli("token", *args)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_a_certificate_for_another_key_is_refused(write_fixtures):
    from mockidp.core.keys import new_signing_key

    directory = write_fixtures(**{"c.toml": CLIENT})
    mine, other = new_signing_key(), new_signing_key()
    key_only = mine.to_pem().split(b"-----BEGIN CERTIFICATE-----")[0]
    other_chain = other.to_pem()[other.to_pem().index(b"-----BEGIN CERTIFICATE-----") :]
    (directory / "signing-key.pem").write_bytes(key_only + other_chain)
    result = run_cli("serve", "--fixtures", str(directory), "--port", "0")
    assert result.returncode == 1
    assert "the first certificate in the file is not for this key" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MOCKIDP_PORT", "abc", "environment variable MOCKIDP_PORT: must be a port number from 0 to 65535, got 'abc'"),
        ("MOCKIDP_PORT", "70000", "environment variable MOCKIDP_PORT: must be a port number"),
        ("MOCKIDP_HOST", "a b", "environment variable MOCKIDP_HOST: must be a host name or IP address"),
        ("MOCKIDP_CONTROL_TOKEN", "a b", "environment variable MOCKIDP_CONTROL_TOKEN: must be a non-empty token"),
    ],
)
def test_a_bad_environment_variable_is_named_not_the_option(variable: str, value: str, message: str):
    env = {**os.environ, variable: value}
    port = [] if variable == "MOCKIDP_PORT" else ["--port", "0"]
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", *port], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "--port" not in result.stderr.splitlines()[-1] and "Traceback" not in result.stderr


def test_a_command_line_option_wins_over_a_bad_environment_variable():
    process, url = start("serve", "--port", "0", env={**os.environ, "MOCKIDP_PORT": "abc"})
    try:
        assert url.startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(timeout=30)
