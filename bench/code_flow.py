"""Browser-flow latency: prints figures, asserts nothing.

    .venv/bin/python bench/code_flow.py [--rounds 300]

Starts `mockidp serve --port 0` on the shipped fixtures in its own process, signs in once through the sign-in
form, then times, one request at a time over one keep-alive connection:
  (a) a fresh sign-in: authorize without a session → sign-in page → form post → redirect with a code;
  (b) authorize with the SSO session → redirect with a code;
  (c) redeeming the code at the token endpoint (access + ID token);
  (d) the device authorization request (`POST /oauth2/v1/device`) of a device client.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "04c1e0a50787408782a5a06fb04f6522"  # the seed client of fixtures/default
CLIENT_SECRET = "5ec4e132-6cb8-4499-97fe-0c444faff293"
REDIRECT = "http://localhost:8001"
AUTHORIZE = {
    "client_id": CLIENT_ID,
    "response_type": "code",
    "redirect_uri": REDIRECT,
    "scope": "openid profile email",
    "state": "bench",
    "nonce": "bench",
}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def start_server(fixtures: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--fixtures", str(fixtures)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def code_of(response: requests.Response) -> str:
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def timed(rounds: int, step: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{name:<48} median {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms   ({len(times)} rounds)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds

    with tempfile.TemporaryDirectory() as tmp:
        fixtures = Path(tmp)
        for item in (ROOT / "fixtures" / "default").iterdir():
            shutil.copy(item, fixtures / item.name)
        with (fixtures / "clients.toml").open("a") as clients:
            clients.write('\n[[clients]]\nclient_id = "tv"\ngrant_types = ["device_code"]\n')
        process, url = start_server(fixtures)
        try:
            run(url, rounds)
        finally:
            process.terminate()
            process.wait(timeout=10)


def run(url: str, rounds: int) -> None:
    browser = requests.Session()
    backend = requests.Session()
    backend.auth = (CLIENT_ID, CLIENT_SECRET)

    def sign_in() -> str:
        browser.cookies.clear()
        page = browser.get(f"{url}/oauth2/v1/authorize", params=AUTHORIZE)
        fields = dict(HIDDEN.findall(page.text))
        answer = browser.post(
            f"{url}/ui/v1/signin",
            data={**fields, "username": "user@example.com", "password": "Welcome1!"},
            allow_redirects=False,
        )
        return code_of(answer)

    def authorize_with_session() -> str:
        return code_of(browser.get(f"{url}/oauth2/v1/authorize", params=AUTHORIZE, allow_redirects=False))

    backend_device = requests.Session()
    codes: list[str] = []

    def redeem() -> None:
        data = {"grant_type": "authorization_code", "code": codes.pop(), "redirect_uri": REDIRECT}
        assert backend.post(f"{url}/oauth2/v1/token", data=data).status_code == 200

    def device() -> None:
        data = {"response_type": "device_code", "scope": "openid", "client_id": "tv"}
        assert backend_device.post(f"{url}/oauth2/v1/device", data=data).status_code == 200

    for _ in range(20):  # warm up
        sign_in()
    print(f"mockidp at {url}, Python {sys.version.split()[0]}")
    report("(a) sign-in: authorize, page, post, redirect", timed(rounds, sign_in))
    report("(b) authorize with the SSO session", timed(rounds, lambda: codes.append(authorize_with_session())))
    report("(c) code redemption at the token endpoint", timed(rounds, redeem))
    report("(d) device authorization request", timed(rounds, device))


if __name__ == "__main__":
    main()
