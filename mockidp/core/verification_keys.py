"""Public keys of others that the domain checks signatures with: a client's key for `private_key_jwt` and
its user assertions, a trusted issuer's keys for identity propagation. Read once, when fixtures load.

A PEM file holds one RSA public key or certificate; a JWKS file (`{"keys": [...]}`) holds RSA keys, each
with a `kid`. A JWT names its key in the header by `kid` or by the certificate thumbprint `x5t`
(idcs-reference §5). [choice] A PEM file holds a single key, so any `kid` names it; its `x5t` (when the
file is a certificate) must match. Use a JWKS file when key ids matter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode


class KeyFileError(ValueError):
    """A key file that cannot be used; the message says why, for a fixture problem."""


@dataclass(frozen=True)
class VerificationKey:
    key: rsa.RSAPublicKey
    kid: str | None = None  # None: the one key of a PEM file, which any kid names
    x5t: str | None = None  # SHA-1 thumbprint of the certificate, when there is one
    x5t256: str | None = None

    def describe(self) -> str:
        if self.kid:
            return f"kid {self.kid!r}"
        return f"the certificate with x5t {self.x5t!r}" if self.x5t else "the PEM public key, any kid"


def _thumbprints(cert: x509.Certificate) -> tuple[str, str]:
    der = cert.public_bytes(serialization.Encoding.DER)
    sha1 = hashlib.sha1(der).digest()  # noqa: S324 - the x5t definition (RFC 7515 §4.1.7)
    return base64url_encode(sha1).decode(), base64url_encode(hashlib.sha256(der).digest()).decode()


def load_pem(path: Path) -> VerificationKey:
    """One RSA public key, or the public key of one certificate, from a PEM file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return load_pem_data(data, path.name)


def load_pem_data(data: bytes, name: str) -> VerificationKey:
    """`load_pem` of PEM text already in hand (a certificate given through the admin API); `name` names it."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise KeyFileError(f"{name} is not a readable PEM certificate: {exc}") from None
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise KeyFileError(f"the certificate in {name} must hold an RSA key (tokens are RS256)")
        x5t, x5t256 = _thumbprints(cert)
        return VerificationKey(key, None, x5t, x5t256)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        if b"PRIVATE KEY" in data:
            raise KeyFileError(f"{name} holds a private key: give the public key (or a certificate)") from None
        raise KeyFileError(f"{name} is not a PEM public key or certificate: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFileError(f"{name} must hold an RSA public key (tokens are RS256)")
    return VerificationKey(key)


def load_jwks(path: Path) -> tuple[VerificationKey, ...]:
    """The RSA keys of a JWKS file; every key needs a `kid`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KeyFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFileError(f"{path.name} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list) or not document["keys"]:
        raise KeyFileError(f'{path.name} must be a JWKS: {{"keys": [ ...at least one key... ]}}')
    return keys_from_jwks(document, path.name)


def keys_from_jwks(document: Any, where: str) -> tuple[VerificationKey, ...]:
    """The RSA keys of a JWK Set already parsed (a file's, or a client metadata document's); each needs a kid."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list) or not document["keys"]:
        raise KeyFileError(f'{where} must be a JWKS: {{"keys": [ ...at least one key... ]}}')
    keys = [_from_jwk(jwk, f"{where}: keys[{index}]") for index, jwk in enumerate(document["keys"])]
    kids = [key.kid for key in keys]
    duplicates = sorted({kid for kid in kids if kids.count(kid) > 1})
    if duplicates:
        raise KeyFileError(f"{where}: kid {duplicates[0]!r} is used by more than one key")
    return tuple(keys)


def _from_jwk(jwk: Any, where: str) -> VerificationKey:
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        raise KeyFileError(f'{where} must be an RSA key ("kty": "RSA")')
    if not isinstance(jwk.get("kid"), str) or not jwk["kid"]:
        raise KeyFileError(f"{where} needs a kid, so that assertions can name it")
    try:
        key = RSAAlgorithm.from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{where} is not a usable RSA key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFileError(f"{where} must be a public key (it has private members)")
    x5t, x5t256 = jwk.get("x5t"), jwk.get("x5t#S256")
    if isinstance(jwk.get("x5c"), list) and jwk["x5c"]:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0], validate=True))
        except (binascii.Error, ValueError) as exc:
            raise KeyFileError(f"{where}: x5c[0] is not a base64 DER certificate: {exc}") from None
        x5t, x5t256 = _thumbprints(cert)
    return VerificationKey(key, jwk["kid"], x5t if isinstance(x5t, str) else None, x5t256 or None)


class KeyNotFound(Exception):
    """No key matches the JWT header; the message says what the header named."""


def find_key(keys: Sequence[VerificationKey], header: dict[str, Any]) -> VerificationKey:
    """The key a JWT header names by `kid` or `x5t` (or `x5t#S256`)."""
    kid, x5t, x5t256 = header.get("kid"), header.get("x5t"), header.get("x5t#S256")
    if not any(isinstance(v, str) and v for v in (kid, x5t, x5t256)):
        raise KeyNotFound("the JWT header names no key: put the key's kid (or its certificate's x5t) in the header")
    for key in keys:
        # A thumbprint the header gives must match when the key has one; otherwise the kid decides.
        thumbprints = [(given, own) for given, own in ((x5t, key.x5t), (x5t256, key.x5t256)) if given and own]
        if thumbprints:
            if all(given == own for given, own in thumbprints):
                return key
            continue
        if kid and (key.kid is None or key.kid == kid):
            return key
    named = ", ".join(
        f"{name} {value!r}" for name, value in (("kid", kid), ("x5t", x5t), ("x5t#S256", x5t256)) if value
    )
    known = ", ".join(key.describe() for key in keys) or "none"
    raise KeyNotFound(f"no known key matches {named} (known: {known})")


# ---------------------------------------------------------------------------------------------- OCI API signing keys

MIN_API_KEY_BITS = 2048  # OCI: "an RSA key pair in PEM format (minimum 2048 bits)"


@dataclass(frozen=True)
class ApiSigningKey:
    """A user's OCI API signing key: the RSA public key that checks their request signatures (`Authorization:
    Signature …`), named in the signature's keyId by its fingerprint."""

    key: rsa.RSAPublicKey
    fingerprint: str
    pem: str  # the key as SubjectPublicKeyInfo PEM, what the ApiKeys resource answers as `key`


def oci_fingerprint(key: rsa.RSAPublicKey) -> str:
    """The OCI key fingerprint: MD5 of the DER SubjectPublicKeyInfo, as colon-separated lowercase hex
    (what `openssl rsa -pubout -outform DER | openssl md5 -c` prints and the console shows)."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{byte:02x}" for byte in hashlib.md5(der).digest())  # noqa: S324 - OCI's definition


def parse_api_key(data: bytes | str, name: str = "the key") -> ApiSigningKey:
    """An OCI API signing key from PEM text (a public key; OCI accepts RSA of at least 2048 bits)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        key = serialization.load_pem_public_key(raw.strip())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if b"PRIVATE KEY" in raw:
            raise KeyFileError(f"{name} holds a private key: give the public key (openssl rsa -pubout)") from None
        raise KeyFileError(
            f'{name} is not a PEM public key (it must start with "-----BEGIN PUBLIC KEY-----")'
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFileError(f"{name} must be an RSA public key (OCI API keys are RSA)")
    if key.key_size < MIN_API_KEY_BITS:
        raise KeyFileError(f"{name} is a {key.key_size}-bit RSA key; OCI API keys need at least {MIN_API_KEY_BITS}")
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return ApiSigningKey(key, oci_fingerprint(key), pem)


def load_api_key(path: Path) -> ApiSigningKey:
    """An OCI API signing key from a PEM public key file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return parse_api_key(data, path.name)
