"""What the console costs: the one token verifier (now also the console's decoder) and the journal poll.

    .venv/bin/python bench/console.py

Prints figures, asserts nothing:
- `verify_token` per call (what userinfo, introspection and revocation run for every token), in process;
- `inspect_token` with every check listed (the console's `POST /mockidp/v1/tokens/check`), in process;
- `GET /mockidp/v1/requests?after=<newest id>` with a full journal (1000 entries): what one console tab asks every
  second when nothing happened, and the whole journal (its first load), over HTTP on loopback.
"""

from __future__ import annotations

import statistics
import time
import timeit

import requests

from mockidp.core.claims import Grant
from mockidp.core.domain import IdentityDomain
from mockidp.core.tokens import issue_tokens, verify_token
from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP

SEED, SECRET = "04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293"


def per_call(fn, number: int = 2000) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


def in_process() -> None:
    domain = IdentityDomain.load(default_fixtures())
    client = domain.client(SEED)
    scopes = domain.scopes.resolve(client, "https://orders.example.com/read")
    token = issue_tokens(domain, domain.urls("http://127.0.0.1:8000"), Grant(client, scopes, "client_credentials"))[
        "access_token"
    ]
    print(f"verify_token: {per_call(lambda: verify_token(domain, token)):.1f} us per call")
    try:
        from mockidp.core.tokens import inspect_token
    except ImportError:
        return
    issuers = ("https://identity.oraclecloud.com/",)
    inspect = per_call(lambda: inspect_token(domain, token, issuers=issuers, audience="https://orders.example.com/"))
    print(f"inspect_token, every check: {inspect:.1f} us per call")


def journal_poll() -> None:
    with MockIdP() as idp:
        session = requests.Session()
        for _ in range(1000):
            session.post(idp.token_url, auth=(SEED, SECRET), data={"grant_type": "client_credentials"}, timeout=10)
        newest = session.get(f"{idp.control_url}/requests", params={"limit": 1}, timeout=10).json()["requests"][-1][
            "id"
        ]
        for name, params in (("after=<newest> (nothing new)", {"after": newest}), ("the whole journal", {})):
            times = []
            for _ in range(50):
                started = time.perf_counter()
                session.get(f"{idp.control_url}/requests", params=params, timeout=10).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            print(f"GET /requests, {name}, 1000 entries: median {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    in_process()
    journal_poll()
