"""HTTPS for `mockidp serve --tls`: a local CA, made once and kept in the state directory, and a server
certificate it signs for localhost, 127.0.0.1, ::1 and every `--tls-host`. Clients trust the CA file
(`REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`), so the server certificate can be re-issued
for new host names without anyone trusting anything again.

State directory: `$MOCKIDP_STATE_DIR`, else `$XDG_STATE_HOME/mockidp`, else `~/.local/state/mockidp`;
files under `tls/`: `ca.pem`, `ca-key.pem`, `server.pem` (leaf + CA), `server-key.pem` (keys 0600).
"""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
import os
import re
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
SERVER_DAYS = 397  # the longest that browsers accept for a server certificate
RENEW_BEFORE = datetime.timedelta(days=30)
_DNS_NAME = re.compile(
    r"^(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)


class TlsError(Exception):
    """A TLS set-up problem, with a message for the user."""


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # server certificate chain (PEM)
    key: Path  # server private key (PEM)
    ca: Path | None = None  # the CA to trust; None for a certificate the user brought

    def ssl_options(self) -> dict[str, str]:
        """The uvicorn.Config options that serve HTTPS with these files."""
        return {"ssl_certfile": str(self.cert), "ssl_keyfile": str(self.key)}


def state_dir() -> Path:
    if os.environ.get("MOCKIDP_STATE_DIR"):
        return Path(os.environ["MOCKIDP_STATE_DIR"])
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "mockidp"
    return Path.home() / ".local" / "state" / "mockidp"


def check_host(name: str) -> str:
    """A host name or IP address a certificate can name (`*.example.com` allowed), or TlsError."""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if len(name) > 253 or not _DNS_NAME.match(name):
        raise TlsError(f"--tls-host {name!r} is not a host name or IP address")
    return name.lower()


def local_certificate(hosts: Iterable[str] = (), directory: Path | None = None) -> TlsFiles:
    """The CA and a server certificate covering the default hosts and `hosts`, made or renewed as needed."""
    names = tuple(dict.fromkeys([*DEFAULT_HOSTS, *(check_host(h) for h in hosts)]))
    folder = (directory or state_dir()) / "tls"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(folder / ".lock"):
            ca_cert, ca_key = _ca(folder)
            files = TlsFiles(folder / "server.pem", folder / "server-key.pem", folder / "ca.pem")
            if not _covers(files.cert, ca_cert, names):
                _issue_server(files, ca_cert, ca_key, names)
            return files
    except OSError as exc:
        raise TlsError(
            f"cannot keep the TLS files in {folder}: {exc.strerror or exc} (set MOCKIDP_STATE_DIR)"
        ) from None


def user_certificate(cert: Path, key: Path) -> TlsFiles:
    """The user's own certificate and key, checked now so that a mistake is a message, not a traceback."""
    for path in (cert, key):
        if not path.is_file():
            raise TlsError(f"no such file: {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"cannot use --tls-cert {cert} with --tls-key {key}: {exc}") from None
    return TlsFiles(cert, key)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time makes the files (two servers starting together must not make two CAs)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = folder / "ca.pem", folder / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey) and cert.not_valid_after_utc - RENEW_BEFORE > _now():
            return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "mockidp local CA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockidp"),
        ]
    )
    start = _now() - datetime.timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _covers(cert_path: Path, ca: x509.Certificate, names: tuple[str, ...]) -> bool:
    """Whether the server certificate on disk is signed by this CA, valid for a while, and names every host."""
    if not cert_path.exists() or not cert_path.with_name("server-key.pem").exists():
        return False
    try:
        cert = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, x509.ExtensionNotFound):
        return False
    present = {n.lower() for n in san.get_values_for_type(x509.DNSName)}
    present |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return set(names) <= present and cert.not_valid_after_utc - RENEW_BEFORE > _now()


def _issue_server(
    files: TlsFiles, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, names: tuple[str, ...]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    start = _now() - datetime.timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.key, _key_pem(key), private=True)
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
