"""Run scim2-tester (the SCIM RFC compliance checker, PyPI `scim2-tester`) against /admin/v1 of a real MockIdP,
with a Bearer token of an Identity Domain Administrator client, and print every check and its status.
Not a test: where it expects what the real identity domain does not do, mockidp follows the real service (see
docs/admin-api.md, "scim2-tester").

    .venv/bin/pip install scim2-tester
    .venv/bin/python bench/scim_tester.py [--verbose]
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

import httpx2
import requests
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mockidp.testing import MockIdP
from tests.admin_support import ADMIN_CLIENT, ADMIN_SECRET, write_admin_fixtures


def main() -> None:
    verbose = "--verbose" in sys.argv
    with tempfile.TemporaryDirectory() as tmp, MockIdP(write_admin_fixtures(Path(tmp))) as idp:
        token = requests.post(
            idp.token_url,
            auth=(ADMIN_CLIENT, ADMIN_SECRET),
            data={"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"},
            timeout=10,
        ).json()["access_token"]
        http = httpx2.Client(base_url=f"{idp.url}/admin/v1", headers={"Authorization": f"Bearer {token}"})
        client = SyncSCIMClient(http)
        results = check_server(client, resource_types=["User", "Group"])
        counts = collections.Counter(result.status.name for result in results)
        for result in results:
            if verbose or result.status not in (Status.SUCCESS, Status.SKIPPED):
                print(f"{result.status.name:<8} {result.title}: {result.reason}")
        print(", ".join(f"{name} {count}" for name, count in sorted(counts.items())), f"({len(results)} checks)")
        if "--journal" in sys.argv:  # why mockidp refused what it refused
            for entry in idp.requests(endpoint="admin"):
                if entry.status and entry.status >= 400:
                    print(entry.method, entry.path, entry.status, entry.reason, str(entry.body)[:300])


if __name__ == "__main__":
    main()
