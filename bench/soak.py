"""Memory over a long run: prints figures, asserts nothing.

    .venv/bin/python bench/soak.py [--batch 10000] [--batches 4] [--threads 4]

Starts `mockidp serve --port 0` on the shipped fixtures in its own process, then runs batches of mixed flows.
Each flow: a sign-in through the sign-in form (SSO session, pending sign-in, code), the code redeemed with
offline_access (access, ID and refresh token, a used code, a refresh family), one refresh, the access token
revoked (a revoked jti), a second code left unredeemed, and a device authorization (device code + user code).
After each batch the domain clock is moved 30 days on (past every expiry) and one request is made, and the
server's RSS is read from /proc. Goal (issue 8): from the second batch on, RSS stays within +10 MiB of where
the first left it. Also printed: what one live flow costs in memory (RSS growth of the first batch / flows).
"""

from __future__ import annotations

import argparse
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from code_flow import AUTHORIZE, CLIENT_ID, CLIENT_SECRET, HIDDEN, REDIRECT, ROOT, code_of, start_server

DEVICE_CLIENT = "5d1f0c9e8b7a46e3a2c1b0f9e8d7c6b5"  # the device client of fixtures/default
SCOPE = "openid profile email offline_access https://orders.example.com/read"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def flow(url: str, session: requests.Session) -> None:
    session.cookies.clear()
    params = {**AUTHORIZE, "scope": SCOPE}
    page = session.get(f"{url}/oauth2/v1/authorize", params=params)
    fields = dict(HIDDEN.findall(page.text))
    answer = session.post(
        f"{url}/ui/v1/signin",
        data={**fields, "username": "user@example.com", "password": "Welcome1!"},
        allow_redirects=False,
    )
    code = code_of(answer)
    auth = (CLIENT_ID, CLIENT_SECRET)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    tokens = session.post(f"{url}/oauth2/v1/token", data=data, auth=auth).json()
    refreshed = session.post(
        f"{url}/oauth2/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=auth,
    ).json()
    session.post(f"{url}/oauth2/v1/revoke", data={"token": refreshed["access_token"]}, auth=auth)
    code_of(session.get(f"{url}/oauth2/v1/authorize", params=params, allow_redirects=False))  # left unredeemed
    device = {"response_type": "device_code", "scope": "openid", "client_id": DEVICE_CLIENT}
    assert session.post(f"{url}/oauth2/v1/device", data=device).status_code == 200


def batch(url: str, count: int, threads: int) -> None:
    local = threading.local()

    def work(_: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()  # one browser per thread: its cookies are its own
        flow(url, local.session)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(count)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=10000, help="flows per batch")
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    process, url = start_server(ROOT / "fixtures" / "default")
    try:
        control = requests.Session()
        for _ in range(50):
            flow(url, control)  # warm up: imports, caches
        start = rss_mib(process.pid)
        print(f"mockidp at {url}, Python {sys.version.split()[0]}; {args.batch} flows a batch")
        print(f"after warm-up: {start:.1f} MiB")
        after_first = None
        for number in range(1, args.batches + 1):
            batch(url, args.batch, args.threads)
            live = rss_mib(process.pid)
            control.post(f"{url}/mockidp/v1/clock", json={"action": "advance", "seconds": 30 * 86400})
            flow(url, control)  # a write: expired records are swept
            swept = rss_mib(process.pid)
            if after_first is None:
                after_first = swept
                per_flow = (live - start) * 1024 * 1024 / args.batch
                print(
                    f"batch 1: {live:.1f} MiB live, {swept:.1f} MiB after the clock moved; "
                    f"~{per_flow:.0f} B a live flow"
                )
            else:
                print(
                    f"batch {number}: {live:.1f} MiB live, {swept:.1f} MiB after the clock moved "
                    f"({swept - after_first:+.1f} MiB against batch 1)"
                )
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
