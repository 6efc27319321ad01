"""Client ID Metadata Documents fetched over https, as in production: from a document server on 127.0.0.1 with a
certificate of a test CA. Trusted through SSL_CERT_FILE (the system trust store otherwise), refused with the
TLS reason when the certificate is not trusted."""

from __future__ import annotations

import datetime
import ipaddress
import json
import shutil
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mockidp.core.cimd import fetch
from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.cimd_support import public_document
from tests.flows import authorize, pkce


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_ca_and_leaf(directory: Path) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("mockidp test CA"))
        .issuer_name(_name("mockidp test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "leaf.pem", directory / "leaf-key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


@pytest.fixture(scope="module")
def https_docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    directory = tmp_path_factory.mktemp("tls")
    ca_file, cert_file, key_file = make_ca_and_leaf(directory)
    documents: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", ca_file, documents
    server.shutdown()
    server.server_close()


@pytest.fixture
def idp(https_docs, tmp_path: Path) -> Iterator[MockIdP]:
    base, _, _ = https_docs
    (tmp_path / "fixtures.toml").write_text(
        f'[domain]\nclient_id_metadata_documents = true\ntrusted_metadata_locations = ["{base}/clients/"]\n'
        '[[users]]\nuser_name = "dana@example.com"\npassword = "Welcome1!"\n'
    )
    shutil.copy(default_fixtures() / "signing-key.pem", tmp_path / "signing-key.pem")
    with MockIdP(tmp_path) as server:
        yield server


@pytest.fixture
def trust_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set SSL_CERT_FILE for the fetcher's trust store (loaded once per process, so reloaded here and after)."""

    def use(ca_file: Path | None) -> None:
        if ca_file is None:
            monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        else:
            monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        fetch.tls_context.cache_clear()

    yield use
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    fetch.tls_context.cache_clear()


def start(idp: MockIdP, client_id: str) -> requests.Response:
    _, challenge = pkce()
    return authorize(
        requests.Session(),
        idp.url,
        client_id=client_id,
        response_type="code",
        redirect_uri="http://127.0.0.1:45000/callback",
        state="s",
        scope="openid",
        code_challenge=challenge,
        code_challenge_method="S256",
    )


def test_https_document_with_a_trusted_certificate(idp: MockIdP, https_docs, trust_store):
    base, ca_file, documents = https_docs
    url = f"{base}/clients/agent.json"
    documents["/clients/agent.json"] = public_document(url, ["http://127.0.0.1:1/callback"])
    trust_store(ca_file)
    response = start(idp, url)
    assert response.status_code == 302, response.text
    assert "/ui/v1/signin" in response.headers["location"]
    [fetched] = [d for d in idp.client_metadata() if d["url"] == url]
    assert fetched["client_name"] == "Ledger Agent"


def test_https_document_with_an_untrusted_certificate(idp: MockIdP, https_docs, trust_store):
    base, _, documents = https_docs
    url = f"{base}/clients/other.json"
    documents["/clients/other.json"] = public_document(url, ["http://127.0.0.1:1/callback"])
    trust_store(None)  # the system trust store does not know the test CA
    response = start(idp, url)
    assert response.status_code == 400
    text = response.text
    assert "names a client metadata document that cannot be used: it could not be fetched" in text
    assert "CERTIFICATE_VERIFY_FAILED" in text
