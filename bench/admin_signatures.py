"""What an OCI request signature costs the admin API: `GET /admin/v1/Me` with a Bearer token vs. signed with the
shipped API key (erin@example.com), under wrk; and the signature check alone, in process.

    .venv/bin/python bench/admin_signatures.py [--seconds 10] [--connections 32]

A signature stays valid for 5 minutes, so wrk replays one signed request (the real service allows that too).
Needs `wrk` (Debian package `wrk`). One uvicorn worker; prints requests per second and microseconds.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import timeit
import urllib.parse
import urllib.request
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockidp.core.admin import signatures
from mockidp.core.domain import IdentityDomain
from mockidp.testing import default_fixtures
from tests.oci_support import ERIN_FINGERPRINT, TENANCY, erin_private_key

CLIENT = ("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293")
PATH = "/admin/v1/Me"


def serve() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def signed_headers(host: str, user_ocid: str) -> dict[str, str]:
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    date = email.utils.formatdate(usegmt=True)
    signing = f"date: {date}\n(request-target): get {PATH}\nhost: {host}"
    signature = base64.b64encode(erin_private_key().sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256()))
    key_id = f"{TENANCY}/{user_ocid}/{ERIN_FINGERPRINT}"
    return {
        "date": date,
        "authorization": (
            f'Signature version="1",keyId="{key_id}",algorithm="rsa-sha256",'
            f'headers="date (request-target) host",signature="{signature.decode()}"'
        ),
    }


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> float:
    lines = [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url + PATH],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"the benchmark got {non_2xx.group(1)} error answers:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def in_process(number: int) -> float:
    """Microseconds per `signatures.authenticate` of one signed GET, on the default fixtures."""
    domain = IdentityDomain.load(default_fixtures())
    user = domain.user("erin@example.com")
    assert user is not None
    headers = {"host": "127.0.0.1:8000", **signed_headers("127.0.0.1:8000", user.ocid)}
    signatures.authenticate(domain, "GET", PATH, headers, b"")
    seconds = timeit.timeit(lambda: signatures.authenticate(domain, "GET", PATH, headers, b""), number=number)
    return seconds / number * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/admin_signatures.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 1
    print(f"signatures.authenticate alone: {in_process(2000):7.1f} us per signed GET")
    process, url = serve()
    try:
        host = urllib.parse.urlsplit(url).netloc
        me = requests.get(url + "/mockidp/v1/users", timeout=10).json()
        erin = next(user for user in me["users"] if user["user_name"] == "erin@example.com")
        token = requests.post(
            url + "/oauth2/v1/token",
            auth=CLIENT,
            data={
                "grant_type": "password",
                "username": "erin@example.com",
                "password": "Welcome1!",
                "scope": "urn:opc:idm:__myscopes__",
            },
            timeout=10,
        ).json()["access_token"]
        setups = [
            ("GET /admin/v1/Me, Bearer token", {"authorization": f"Bearer {token}"}),
            ("GET /admin/v1/Me, OCI API-key signature", signed_headers(host, erin["ocid"])),
        ]
        for label, headers in setups:
            check = urllib.request.Request(url + PATH, headers=headers)
            urllib.request.urlopen(check, timeout=10).close()
            wrk(url, headers, 2, args.connections)  # warm up
            rate = wrk(url, headers, args.seconds, args.connections)
            print(f"{label:45s} {rate:9.0f} req/s")
    finally:
        process.terminate()
        process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
