"""The OCI side of the admin-API tests: erin@example.com's API key from fixtures/default, OCI config files and
SDK clients pointed at a mockidp, and a hand-made signer for the requests the SDK would never send."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import oci
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mockidp.testing import MockIdP, default_fixtures

ERIN = "erin@example.com"
ERIN_KEY_FILE = default_fixtures() / "erin-api.pem"  # the private half of fixtures/default/erin-api.pub.pem
ERIN_FINGERPRINT = "81:de:64:01:4f:08:43:8d:c7:fe:63:c3:29:65:86:18"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaaklwckow7e5jlgt55nx73ptpwraxmkggaqzr5natojjs5hu7flfea"  # default tenancyOcid
UNAUTHORIZED = "Operation failed due to unauthorized access."
SCIM_ERROR_SCHEMAS = [
    "urn:ietf:params:scim:api:messages:2.0:Error",
    "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error",
]


REPO = Path(__file__).resolve().parent.parent


def oci_cli_executable() -> str:
    """The OCI CLI: $MOCKIDP_OCI_CLI (`make test` sets it to the CLI's own venv, .venv-oci-cli), else that venv,
    else `oci` on PATH. Under CI=true its absence fails the test instead of skipping it."""
    candidates = [os.environ.get("MOCKIDP_OCI_CLI"), str(REPO / ".venv-oci-cli" / "bin" / "oci"), shutil.which("oci")]
    found = next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the OCI CLI is needed for these tests in CI: `make test` installs it in .venv-oci-cli")
        pytest.skip("the OCI CLI is not installed (`make test` installs it in .venv-oci-cli; or pip install oci-cli)")
    return os.path.abspath(found)


def cli_env(home: Path) -> dict[str, str]:
    """The CLI's environment: no warning about a checked-out key file's permissions, and a HOME of its own so
    nothing of the machine's ~/.oci is read."""
    return {**os.environ, "OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING": "True", "HOME": str(home)}


def user_ocid(idp: MockIdP, user_name: str = ERIN) -> str:
    assert idp.domain is not None
    user = idp.domain.user(user_name)
    assert user is not None
    return user.ocid


def oci_config(idp: MockIdP, user_name: str = ERIN, key_file: Path = ERIN_KEY_FILE, fingerprint: str = "") -> dict:
    """An ordinary OCI API-key config (what ~/.oci/config holds), validated by the SDK."""
    config = {
        "tenancy": TENANCY,
        "user": user_ocid(idp, user_name),
        "fingerprint": fingerprint or ERIN_FINGERPRINT,
        "key_file": str(key_file),
        "region": "us-ashburn-1",
    }
    oci.config.validate_config(config)
    return config


def write_config_file(directory: Path, config: dict[str, str], profile: str = "DEFAULT") -> Path:
    path = directory / "oci-config"
    lines = [f"[{profile}]", *(f"{name}={value}" for name, value in config.items())]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def sdk_client(idp: MockIdP, **kwargs: Any) -> oci.identity_domains.IdentityDomainsClient:
    """The SDK's client, unchanged, pointed at mockidp; API-key signing from the config unless a signer is given."""
    config = kwargs.pop("config", None) or oci_config(idp)
    return oci.identity_domains.IdentityDomainsClient(
        config, service_endpoint=idp.url, retry_strategy=oci.retry.NoneRetryStrategy(), **kwargs
    )


class BearerSigner(oci.auth.signers.SecurityTokenSigner):
    """An OCI SDK signer that sends an identity-domain access token instead of a signature. A SecurityTokenSigner
    subclass only so that the SDK's `validate_config` asks the config for no API key (it skips its key checks
    for that class); it signs nothing."""

    def __init__(self, token: str) -> None:  # no super().__init__: there is no session key to load
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def erin_private_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(ERIN_KEY_FILE.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def write_private_key(key: rsa.RSAPrivateKey, path: Path) -> Path:
    """The private key as an OCI key_file (PKCS#8 PEM, no passphrase)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def fingerprint_of(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


def signed_request(
    idp: MockIdP,
    method: str,
    path: str,
    *,
    key: rsa.RSAPrivateKey | None = None,
    key_id: str | None = None,
    headers: list[str] | None = None,
    body: bytes = b"",
    extra: dict[str, str] | None = None,
    date: str | None = None,
    send_body: bytes | None = None,
) -> requests.Response:
    """A request signed by hand, the way oci/signer.py does, with every part under the test's control."""
    host = idp.url.split("://", 1)[1]
    values = {
        "date": date or email.utils.formatdate(usegmt=True),
        "host": host,
        "content-type": "application/json",
        **({"content-length": str(len(body)), "x-content-sha256": _sha256(body)} if method != "GET" else {}),
        **(extra or {}),
    }
    names = headers or (
        ["date", "(request-target)", "host"]
        + (["content-length", "content-type", "x-content-sha256"] if method in ("POST", "PUT", "PATCH") else [])
    )
    lines = [
        f"(request-target): {method.lower()} {path}" if name == "(request-target)" else f"{name}: {values[name]}"
        for name in names
    ]
    signature = (key or erin_private_key()).sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    key_id = key_id or f"{TENANCY}/{user_ocid(idp)}/{ERIN_FINGERPRINT}"
    values["authorization"] = (
        f'Signature version="1",keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return requests.request(
        method, idp.url + path, headers=values, data=body if send_body is None else send_body, timeout=10
    )


def _sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def assert_scim_401(response: requests.Response, detail: str = UNAUTHORIZED) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    assert response.json() == {
        "schemas": SCIM_ERROR_SCHEMAS,
        "detail": detail,
        "status": "401",
        SCIM_ERROR_SCHEMAS[1]: {"messageId": "error.common.exception.unauthorizedAccess"},
    }
