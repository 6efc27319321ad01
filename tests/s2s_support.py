"""Keys, key files and a fixture directory for the server-to-server tests (private_key_jwt, assertions,
token exchange): the other party's side, made with `cryptography` and PyJWT as a real client would."""

from __future__ import annotations

import datetime
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

KEY_CLIENT = "5b0c6b2b1a9d4f0e8c7d6e5f4a3b2c1d"  # public_key (PEM public key)
KEY_CLIENT_SECRET = "idcscs-1d7c1c9e-0f7c-4a8e-9a51-3c3f4f0e2b11"
JWKS_CLIENT = "6c1d7c3c2b0e4a1f9d8e7f6a5b4c3d2e"  # jwks with two keys
CERT_CLIENT = "7d2e8d4d3c1f4b2a0e9f8a7b6c5d4e3f"  # public_key is a certificate (x5t)
OTHER_CLIENT = "8e3f9e5e4d2a4c3b1f0a9b8c7d6e5f4a"  # secret only, not allowed to use the CI trust
OTHER_SECRET = "idcscs-2e8d2d0f-1a8d-4b9f-8b62-4d404a1f3c22"
ALICE, SERVICE_USER, EMAIL_USER = "alice@example.com", "svc-deployer", "carol@example.com"
CI_ISSUER, PARTNER_ISSUER = "https://ci.example.com", "https://idp.partner.example"
CI_KID = "ci-2024"
API = "https://api.example.com/"


@dataclass(frozen=True)
class Signer:
    """A private key that signs assertions, with the kid/x5t it is known by."""

    private_key: rsa.RSAPrivateKey
    kid: str | None = None
    cert: x509.Certificate | None = None

    @property
    def pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def public_pem(self) -> bytes:
        if self.cert is not None:
            return self.cert.public_bytes(serialization.Encoding.PEM)
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwk(self) -> dict[str, Any]:
        return {**RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True), "kid": self.kid, "use": "sig"}

    @property
    def x5t(self) -> str:
        assert self.cert is not None
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return base64url_encode(hashlib.sha1(der).digest()).decode()

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        if header is None:
            header = {"kid": self.kid or "key"} if self.cert is None else {"x5t": self.x5t}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=header)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key: rsa.RSAPrivateKey, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


@dataclass(frozen=True)
class Keys:
    key_client: Signer
    jwks_a: Signer
    jwks_b: Signer
    cert_client: Signer
    ci: Signer
    partner: Signer
    stranger: Signer  # known to nobody


def make_keys() -> Keys:
    cert_key = new_key()
    return Keys(
        key_client=Signer(new_key(), "any-kid-names-the-pem-key"),
        jwks_a=Signer(new_key(), "key-a"),
        jwks_b=Signer(new_key(), "key-b"),
        cert_client=Signer(cert_key, None, self_signed(cert_key, "cert client")),
        ci=Signer(new_key(), CI_KID),
        partner=Signer(new_key(), "partner-1"),
        stranger=Signer(new_key(), "key-a"),
    )


def write_fixture_dir(directory: Path, keys: Keys, *, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "key-client.pub.pem").write_bytes(keys.key_client.public_pem())
    (directory / "jwks-client.json").write_text(json.dumps({"keys": [keys.jwks_a.jwk(), keys.jwks_b.jwk()]}))
    (directory / "cert-client.pem").write_bytes(keys.cert_client.public_pem())
    (directory / "ci-jwks.json").write_text(json.dumps({"keys": [keys.ci.jwk()]}))
    (directory / "partner.pub.pem").write_bytes(keys.partner.public_pem())
    grants = '["client_credentials", "password", "jwt_bearer", "token_exchange", "refresh_token"]'
    (directory / "domain.toml").write_text(
        f"""
[domain]
tenant = "idcs-5e2a7c1d9b8f4e3a6c0d1b2e3f4a5b6c"

[[resources]]
name = "API"
audience = "{API}"
scopes = ["read"]

[[clients]]
client_id = "{KEY_CLIENT}"
client_secret = "{KEY_CLIENT_SECRET}"
grant_types = {grants}
allowed_scopes = ["{API}read"]
app_roles = ["Authenticated Client"]
public_key = "key-client.pub.pem"

[[clients]]
client_id = "{JWKS_CLIENT}"
grant_types = {grants}
allowed_scopes = ["{API}read"]
jwks = "jwks-client.json"

[[clients]]
client_id = "{CERT_CLIENT}"
grant_types = {grants}
allowed_scopes = ["{API}read"]
public_key = "cert-client.pem"

[[clients]]
client_id = "{OTHER_CLIENT}"
client_secret = "{OTHER_SECRET}"
grant_types = {grants}
allowed_scopes = ["{API}read"]

[[users]]
user_name = "{ALICE}"
password = "Welcome1!"
email = "{ALICE}"

[[users]]
user_name = "{SERVICE_USER}"

[[users]]
user_name = "carol"
email = "{EMAIL_USER}"

[[trusts]]
name = "CI pipelines"
issuer = "{CI_ISSUER}"
jwks = "ci-jwks.json"
clients = ["{KEY_CLIENT}", "{JWKS_CLIENT}"]
client_claim = "aud"
client_claim_values = ["mockidp"]
impersonation = [
  {{ rule = "repository eq 'acme/app' and ref sw 'refs/heads/'", user = "{SERVICE_USER}" }},
]

[[trusts]]
name = "Partner IdP"
issuer = "{PARTNER_ISSUER}"
public_key = "partner.pub.pem"
subject_claim = "email"
subject_mapping = "email"

[[trusts]]
name = "This domain"
issuer = "self"
clients = ["{KEY_CLIENT}"]
{extra}
"""
    )
    return directory


def claims(iss: str, sub: str, aud: str | list[str], *, ttl: int = 300, **more: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": iss, "sub": sub, "aud": aud, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex, **more}
