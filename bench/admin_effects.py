"""What the admin API's effects cost a token request, in process (no HTTP): prints figures, asserts nothing.

A client_credentials token for the seed client of fixtures/default (client lookup, scope resolution, claims,
RS256 signature), timed as the domain stands:
  (a) untouched fixtures; (b) after one Grant was created (the grants overlay is then consulted on every client
  and user lookup); (c) with 100 Grants; (d) and 10 CustomClaims (the claims hook evaluates them).

    .venv/bin/python bench/admin_effects.py [--tokens N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from mockidp.core import ids
from mockidp.core.admin import apps, custom_claims, grants
from mockidp.core.claims import Grant, access_token_claims
from mockidp.core.domain import IdentityDomain
from mockidp.core.tokens import issue

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "04c1e0a50787408782a5a06fb04f6522"
SCOPE = "https://orders.example.com/read"
APP = "urn:ietf:params:scim:schemas:oracle:idcs:App"


def per_token(domain: IdentityDomain, count: int) -> tuple[float, float]:
    """Median microseconds per token over 7 batches of `count`: (without the RS256 signature, whole token)."""
    urls = domain.urls("http://127.0.0.1:8000")

    def unsigned() -> None:
        client = domain.client(CLIENT_ID)
        assert client is not None
        grant = Grant(client, domain.scopes.resolve(client, SCOPE), "client_credentials")
        access_token_claims(domain, urls, grant, grant.scopes.resources[0], 1_800_000_000, 3600)

    def signed() -> None:
        client = domain.client(CLIENT_ID)
        assert client is not None
        issue(domain, urls, Grant(client, domain.scopes.resolve(client, SCOPE), "client_credentials"))

    return _median(unsigned, count * 10), _median(signed, count)


def _median(work: Callable[[], None], count: int) -> float:
    timings = []
    for _ in range(7):
        start = time.process_time()
        for _ in range(count):
            work()
        timings.append((time.process_time() - start) / count * 1e6)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=400, help="tokens per batch")
    args = parser.parse_args()
    domain = IdentityDomain.load(ROOT / "fixtures" / "default")
    figures = {"(a) untouched fixtures": per_token(domain, args.tokens)}

    app = apps.create_app(
        domain,
        {
            "schemas": [APP],
            "displayName": "bench",
            "basedOnTemplate": {"value": "CustomWebAppTemplateId"},
            "isOAuthClient": True,
            "allowedGrants": ["client_credentials"],
        },
    )
    role = ids.stable_guid("approle", domain.tenant, "User Administrator")
    body = {
        "schemas": [grants.SCHEMA],
        "grantMechanism": "ADMINISTRATOR_TO_APP",
        "grantee": {"type": "App", "value": app["id"]},
        "entitlement": {"attributeName": "appRoles", "attributeValue": role},
    }
    grants.create_grant(domain, body)
    figures["(b) one Grant"] = per_token(domain, args.tokens)

    for index in range(99):
        extra = apps.create_app(domain, _app(index))
        grants.create_grant(domain, {**body, "grantee": {"type": "App", "value": extra["id"]}})
    figures["(c) 100 Grants"] = per_token(domain, args.tokens)

    for index in range(10):
        custom_claims.create_custom_claim(
            domain,
            {
                "schemas": [custom_claims.SCHEMA],
                "name": f"claim{index}",
                "value": "$user.userName" if index % 2 else "literal",
                "expression": bool(index % 2),
                "mode": "always",
                "tokenType": "BOTH",
                "allScopes": True,
            },
        )
    figures["(d) 100 Grants + 10 CustomClaims"] = per_token(domain, args.tokens)

    print("client_credentials token for the seed client, in process, median of 7 batches (CPU µs per token):")
    print(f"  {'':<36} {'no signature':>12} {'whole token':>12}")
    for label, (unsigned, signed) in figures.items():
        print(f"  {label:<36} {unsigned:12.1f} {signed:12.1f}")


def _app(index: int) -> dict:
    return {
        "schemas": [APP],
        "displayName": f"bench {index}",
        "basedOnTemplate": {"value": "CustomWebAppTemplateId"},
        "isOAuthClient": True,
        "allowedGrants": ["client_credentials"],
    }


if __name__ == "__main__":
    main()
