"""HTTPS: the local CA made once in the state directory, a server certificate for localhost, 127.0.0.1, ::1 and
--tls-host names, clients that trust only that CA (requests, curl, the OCI SDK), and every wrong TLS flag."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from s2s_support import CI_ISSUER, KEY_CLIENT, KEY_CLIENT_SECRET, SERVICE_USER, claims, make_keys, write_fixture_dir

from mockidp.testing import MockIdP
from mockidp.tls import local_certificate

TENANT_HOST = "idcs-c87b18d47f4b46798f61e82aaf3154c0.identity.oraclecloud.com"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv("MOCKIDP_STATE_DIR", str(directory))
    return directory


def test_https_with_only_the_local_ca_trusted(state: Path) -> None:
    with MockIdP(tls=True) as idp:
        assert idp.url.startswith("https://127.0.0.1:")
        assert idp.ca_path == state / "tls" / "ca.pem"
        discovery = requests.get(idp.discovery_url, verify=idp.ca_path, timeout=10).json()
        assert discovery["token_endpoint"] == f"{idp.url}/oauth2/v1/token"
        assert discovery["jwks_uri"].startswith("https://")
        localhost = idp.url.replace("127.0.0.1", "localhost")
        assert requests.get(f"{localhost}/admin/v1/SigningCert/jwk", verify=idp.ca_path, timeout=10).ok
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(idp.discovery_url, timeout=10)  # the system's CAs do not know the local CA


def test_ca_is_made_once_and_the_server_certificate_grows_with_hosts(state: Path) -> None:
    first = local_certificate()
    ca_bytes, server_bytes = first.ca.read_bytes(), first.cert.read_bytes()
    again = local_certificate()
    assert (again.ca.read_bytes(), again.cert.read_bytes()) == (ca_bytes, server_bytes)
    more = local_certificate([TENANT_HOST, "10.1.2.3", "*.example.test"])
    assert more.ca.read_bytes() == ca_bytes, "the CA must stay, so clients keep trusting it"
    leaf = x509.load_pem_x509_certificates(more.cert.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", TENANT_HOST, "*.example.test"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1", "10.1.2.3"]
    assert oct((state / "tls" / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
    assert oct((state / "tls" / "server-key.pem").stat().st_mode & 0o777) == "0o600"


def test_oci_sdk_over_https_with_requests_ca_bundle(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oci.auth.signers import TokenExchangeSigner

    keys = make_keys()
    with MockIdP(write_fixture_dir(tmp_path / "fixtures", keys), tls=True) as idp:
        assert idp.ca_path is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(idp.ca_path))
        subject = keys.ci.sign(claims(CI_ISSUER, "x", "mockidp", repository="acme/app", ref="refs/heads/main"))
        signer = TokenExchangeSigner(subject, idp.url, KEY_CLIENT, KEY_CLIENT_SECRET)
        assert signer.security_token_container.get_jwt()["sub"] == SERVICE_USER


def serve(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def cli_env(state: Path) -> dict[str, str]:
    return {**os.environ, "MOCKIDP_STATE_DIR": str(state)}


@pytest.fixture
def server(cli_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = serve("--tls", "--tls-host", TENANT_HOST, env=cli_env)
    yield process
    process.terminate()
    process.wait(timeout=10)


def test_cli_tls_ready_line_log_and_a_hosts_entry(server: subprocess.Popen[str], state: Path) -> None:
    """curl --resolve is what a hosts-file line does: the hard-coded tenant URL works over HTTPS."""
    assert server.stdout is not None and server.stderr is not None
    url = server.stdout.readline().strip()
    assert url.startswith("https://127.0.0.1:")
    ca = state / "tls" / "ca.pem"
    log = ""
    while "REQUESTS_CA_BUNDLE" not in log:
        log += server.stderr.readline()
    assert f"trust it with REQUESTS_CA_BUNDLE={ca}, SSL_CERT_FILE={ca} or NODE_EXTRA_CA_CERTS={ca}" in log
    curl = shutil.which("curl")
    if curl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is missing; .ci/run installs it")
        pytest.skip("curl is not installed (apt-get install curl)")
    port = url.rsplit(":", 1)[1]
    tenant_url = f"https://{TENANT_HOST}:{port}"
    answer = subprocess.run(
        [
            curl,
            "-sS",
            "--fail",
            "--cacert",
            str(ca),
            "--resolve",
            f"{TENANT_HOST}:{port}:127.0.0.1",
            f"{tenant_url}/.well-known/openid-configuration",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert f'"token_endpoint":"{tenant_url}/oauth2/v1/token"' in answer.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "cert.pem"], "mockidp: --tls-cert and --tls-key go together: give both"),
        (["--tls-host", "example.com"], "mockidp: --tls-host needs --tls"),
        (["--tls", "--tls-host", "bad host!"], "mockidp: --tls-host 'bad host!' is not a host name or IP address"),
        (["--tls-cert", "nope.pem", "--tls-key", "nope-key.pem"], "mockidp: no such file: nope.pem"),
    ],
)
def test_cli_tls_mistakes(args: list[str], message: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in result.stderr


def test_cli_with_the_users_own_certificate(cli_env: dict[str, str], tmp_path: Path) -> None:
    own = local_certificate(directory=tmp_path / "elsewhere")
    mismatched = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockidp",
            "serve",
            "--port",
            "0",
            "--tls-cert",
            str(own.cert),
            "--tls-key",
            str(own.ca),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=30,
        check=False,
    )
    assert mismatched.returncode == 1
    assert mismatched.stderr.startswith(f"mockidp: cannot use --tls-cert {own.cert} with --tls-key {own.ca}:")
    process = serve("--tls-cert", str(own.cert), "--tls-key", str(own.key), env=cli_env)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("https://")
        assert requests.get(f"{url}/.well-known/openid-configuration", verify=own.ca, timeout=10).ok
    finally:
        process.terminate()
        process.wait(timeout=10)
