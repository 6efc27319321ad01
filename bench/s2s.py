"""Server-to-server request rates against a real MockIdP on loopback, sequential over one keep-alive
connection: client_credentials with a secret vs with private_key_jwt, a UPST token exchange, a CORS preflight.
Assertions are signed before timing, so the figures are the server's cost. Prints figures; asserts nothing.

    .venv/bin/python bench/s2s.py [N]
"""

from __future__ import annotations

import base64
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from s2s_support import (
    API,
    CI_ISSUER,
    JWKS_CLIENT,
    KEY_CLIENT,
    KEY_CLIENT_SECRET,
    claims,
    make_keys,
    new_key,
    write_fixture_dir,
)

from mockidp.testing import MockIdP

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def rate(name: str, calls: list) -> None:
    session = requests.Session()
    calls[0](session)  # warm up the connection
    start = time.perf_counter()
    for call in calls[1:]:
        response = call(session)
        assert response.status_code in (200, 204), response.text
    elapsed = time.perf_counter() - start
    count = len(calls) - 1
    print(f"{name:<44} {count / elapsed:8.0f} req/s  {elapsed / count * 1000:6.2f} ms/req  (n={count})")


def main() -> None:
    keys = make_keys()
    with tempfile.TemporaryDirectory() as tmp, MockIdP(write_fixture_dir(Path(tmp), keys)) as idp:
        url = idp.token_url
        data = {"grant_type": "client_credentials", "scope": f"{API}read"}
        auth = (KEY_CLIENT, KEY_CLIENT_SECRET)
        rate("client_credentials, client_secret_basic", [lambda s: s.post(url, data=data, auth=auth)] * (N + 1))
        assertions = [keys.jwks_a.sign(claims(JWKS_CLIENT, JWKS_CLIENT, url)) for _ in range(N + 1)]
        rate(
            "client_credentials, private_key_jwt",
            [
                lambda s, a=a: s.post(url, data={**data, "client_assertion_type": ASSERTION, "client_assertion": a})
                for a in assertions
            ],
        )
        der = (
            new_key()
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        subject = keys.ci.sign(claims(CI_ISSUER, "x", "mockidp", repository="acme/app", ref="refs/heads/main"))
        exchange = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "requested_token_type": "urn:oci:token-type:oci-upst",
            "subject_token": subject,
            "subject_token_type": "jwt",
            "public_key": base64.b64encode(der).decode(),
        }
        rate("token exchange to a UPST", [lambda s: s.post(url, data=exchange, auth=auth)] * (N + 1))
        headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
        rate("CORS preflight (discovery)", [lambda s: s.options(idp.discovery_url, headers=headers)] * (N + 1))
        rate("discovery GET without Origin", [lambda s: s.get(idp.discovery_url)] * (N + 1))
        origin = {"Origin": "https://app.example.com"}
        rate("discovery GET with Origin (CORS headers)", [lambda s: s.get(idp.discovery_url, headers=origin)] * (N + 1))


if __name__ == "__main__":
    main()
