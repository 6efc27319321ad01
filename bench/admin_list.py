"""`list_users` with a filter over 10,000 users, through the real OCI Python SDK (IdentityDomainsClient with a
Bearer signer) against a real MockIdP on loopback, sequential over one keep-alive connection. 10,000 fixture
users, then 1,000 more created through the admin API (they live in the store). Prints p50/p90/p99 per filter
for the SDK, for plain requests, and for the core alone (`listing.run` in the server's process: no HTTP, no
rendering of JSON), and a JWKS GET as the HTTP baseline; asserts nothing but that the answers are right.

    .venv/bin/python bench/admin_list.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from oci.identity_domains import IdentityDomainsClient, models

from mockidp.core.admin import RESOURCE_TYPES, listing
from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
USERS = 10_000
CLIENT, SECRET = "a0d1c2e3f4a5b6c7d8e9f0a1b2c3d4e5", "bench-secret"
CONFIG = {
    "user": "ocid1.user.oc1..unused",
    "tenancy": "ocid1.tenancy.oc1..unused",
    "fingerprint": "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
    "key_file": "unused.pem",
    "region": "us-ashburn-1",
}


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def write_fixtures(directory: Path) -> Path:
    lines = [
        '[domain]\ntenant = "idcs-be0c0000000000000000000000000001"\n',
        f'[[clients]]\nclient_id = "{CLIENT}"\nclient_secret = "{SECRET}"\n'
        'grant_types = ["client_credentials"]\napp_roles = ["Identity Domain Administrator"]\n',
    ]
    for i in range(USERS):
        lines.append(
            f'[[users]]\nuser_name = "user{i:05d}@example.com"\npassword = "Welcome1!"\n'
            f'given_name = "User"\nfamily_name = "Number{i}"\nemail = "user{i:05d}@example.com"\n'
            f'groups = ["{"Even" if i % 2 == 0 else "Odd"}"]\n'
        )
    (directory / "bench.toml").write_text("\n".join(lines))
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    return directory


def timed(name: str, call, check) -> None:
    check(call())  # warm up (and fill the caches)
    samples = []
    for _ in range(N):
        start = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - start) * 1000)
    check(result)
    samples.sort()
    p50, p90, p99 = (samples[int(len(samples) * q)] for q in (0.5, 0.9, 0.99))
    print(f"{name:<62} p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  p99 {p99:6.2f} ms  mean {statistics.mean(samples):6.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with MockIdP(write_fixtures(Path(tmp))) as idp:
            print(f"server with {USERS} fixture users up in {time.perf_counter() - started:.2f} s")
            token = requests.post(
                idp.token_url,
                auth=(CLIENT, SECRET),
                data={"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"},
                timeout=10,
            ).json()["access_token"]
            client = IdentityDomainsClient(CONFIG, idp.url, signer=Bearer(token))

            users_type = RESOURCE_TYPES["Users"]
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"

            def run(extra: int) -> None:
                cases = [
                    ('userName eq "user05000@example.com"', {}, 1),
                    ('userName sw "user0999"', {}, 10),
                    (
                        'name.familyName co "42" and active eq true',
                        {},
                        sum("42" in f"Number{i}" for i in range(USERS)) + sum("42" in f"Api{i}" for i in range(extra)),
                    ),
                    ('groups.display eq "Odd"', {}, USERS // 2),
                    ('emails[type eq "work" and value sw "user0001"]', {}, 10),
                    (None, {"attribute_sets": ["all"]}, USERS + extra),
                ]
                for expression, more, expected in cases:

                    def check(response, expected=expected) -> None:
                        assert response.status == 200 and response.data.total_results == expected, (
                            response.data.total_results
                        )

                    def check_raw(response, expected=expected) -> None:
                        assert response.status_code == 200 and response.json()["totalResults"] == expected, (
                            response.text[:200]
                        )

                    kwargs = {**({"filter": expression} if expression else {}), **more}
                    params = {
                        **({"filter": expression} if expression else {}),
                        "attributeSets": more.get("attribute_sets"),
                    }
                    label = expression or "(no filter), attribute_sets=all"
                    query = listing.query_from({k: [v] if isinstance(v, str) else v for k, v in params.items() if v})
                    timed(
                        f"core     {label}",
                        lambda query=query: listing.run(idp.domain, users_type, query),
                        lambda result, expected=expected: None if result[0]["totalResults"] == expected else 1 / 0,
                    )
                    timed(f"SDK      {label}", lambda kwargs=kwargs: client.list_users(**kwargs), check)
                    timed(
                        f"requests {label}",
                        lambda params=params: session.get(f"{idp.url}/admin/v1/Users", params=params),
                        check_raw,
                    )

            timed(
                "requests GET /admin/v1/SigningCert/jwk (the HTTP baseline)",
                lambda: session.get(f"{idp.url}/admin/v1/SigningCert/jwk"),
                lambda response: None,
            )
            run(0)
            started = time.perf_counter()
            extra = 1000
            for i in range(extra):
                client.create_user(
                    user=models.User(
                        schemas=["urn:ietf:params:scim:schemas:core:2.0:User"],
                        user_name=f"api{i:04d}@example.org",
                        name=models.UserName(family_name=f"Api{i}"),
                        emails=[models.UserEmails(value=f"api{i:04d}@example.org", type="work", primary=True)],
                    )
                )
            elapsed = time.perf_counter() - started
            print(f"created {extra} users through the API (SDK create_user): {elapsed / extra * 1000:.2f} ms each")
            run(extra)


if __name__ == "__main__":
    main()
