"""What Client ID Metadata Documents cost, against a real MockIdP on loopback (prints figures; asserts nothing):

(a) client_credentials with private_key_jwt, sequential over one keep-alive connection: a fixture client (jwks
    file) vs a metadata-document client whose document was fetched and is cached in the store vs one served from
    a [[client_metadata]] file. Assertions are signed before timing, so the figures are the server's cost.
(b) `IdentityDomain.client()` in process, per lookup: the same three clients.
(c) the first use of a document: fetch from a document server on 127.0.0.1, check, cache (median of 30).

    .venv/bin/python bench/cimd.py [N]
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mockidp.core import cimd
from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.cimd_support import DocumentServer
from tests.s2s_support import Signer, new_key

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FILE_URL = "https://worker.example.com/oauth/client.json"


def document(url: str, signer: Signer) -> dict:
    return {
        "client_id": url,
        "client_name": "Batch worker",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [signer.jwk()]},
    }


def main() -> None:
    signer = Signer(new_key(), "worker-1")
    with DocumentServer() as docs, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        network_url = docs.url("/clients/worker.json")
        docs.serve("/clients/worker.json", document(network_url, signer))
        (directory / "cimd").mkdir()
        (directory / "cimd" / "worker.json").write_text(json.dumps(document(FILE_URL, signer)))
        (directory / "jwks.json").write_text(json.dumps({"keys": [signer.jwk()]}))
        (directory / "fixtures.toml").write_text(
            f"""
[domain]
client_id_metadata_documents = true
trusted_metadata_locations = ["{docs.base}/clients/"]
[[client_metadata]]
url = "{FILE_URL}"
file = "cimd/worker.json"
[[resources]]
name = "API"
audience = "https://api.example.com/"
scopes = ["read"]
[[clients]]
client_id = "fixture-worker"
jwks = "jwks.json"
grant_types = ["client_credentials"]
allowed_scopes = ["https://api.example.com/read"]
"""
        )
        shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
        with MockIdP(directory) as idp:
            clients = {
                "fixture client (jwks file)": "fixture-worker",
                "document client, fetched and cached": network_url,
                "document client, [[client_metadata]] file": FILE_URL,
            }
            print(f"(a) client_credentials + private_key_jwt, {N} sequential requests over one connection")
            for name, client_id in clients.items():
                now = int(time.time())
                assertions = [
                    signer.sign(
                        {
                            "iss": client_id,
                            "sub": client_id,
                            "aud": idp.token_url,
                            "iat": now,
                            "exp": now + 600,
                            "jti": uuid.uuid4().hex,
                        }
                    )
                    for _ in range(N + 1)
                ]
                session = requests.Session()

                def call(assertion: str, session: requests.Session = session) -> None:
                    data = {
                        "grant_type": "client_credentials",
                        "scope": "https://api.example.com/read",
                        "client_assertion_type": ASSERTION,
                        "client_assertion": assertion,
                    }
                    response = session.post(idp.token_url, data=data, timeout=10)
                    assert response.status_code == 200, response.text

                call(assertions[0])  # warm up (and fetch the network document once)
                start = time.perf_counter()
                for assertion in assertions[1:]:
                    call(assertion)
                elapsed = time.perf_counter() - start
                print(f"    {name:45s} {N / elapsed:7.0f} req/s  {elapsed / N * 1000:6.2f} ms/request")

            domain = idp.domain
            print("(b) IdentityDomain.client() per lookup, in process")
            for name, client_id in clients.items():
                domain.client(client_id)
                rounds = 2000
                start = time.perf_counter()
                for _ in range(rounds):
                    domain.client(client_id)
                print(f"    {name:45s} {(time.perf_counter() - start) / rounds * 1e6:7.1f} µs")

            firsts = []
            for _ in range(30):
                cimd.forget(domain)
                start = time.perf_counter()
                domain.client(network_url)
                firsts.append(time.perf_counter() - start)
            print(
                "(c) first use of a fetched document (GET, check, cache): "
                f"median {statistics.median(firsts) * 1000:.2f} ms"
                f" (min {min(firsts) * 1000:.2f}, max {max(firsts) * 1000:.2f}; 30 runs)"
            )


if __name__ == "__main__":
    main()
