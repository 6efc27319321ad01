"""CPU time per request through the whole app (every middleware: the last-resort guard, the body deadline,
ECID headers, domain selection, CORS, the journal), called directly as ASGI: no sockets, and CPU time
(`time.process_time`) rather than wall time, so that other processes on a shared machine move it little.

    .venv/bin/python bench/app_cpu.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import time

from mockidp.core.domain import IdentityDomain
from mockidp.paths import default_fixtures
from mockidp.web.app import create_app
from mockidp.web.context import ServerSettings

BODY = b"grant_type=client_credentials&scope=https%3A%2F%2Forders.example.com%2Fread"
BASIC = b"Basic " + base64.b64encode(b"04c1e0a50787408782a5a06fb04f6522:5ec4e132-6cb8-4499-97fe-0c444faff293")
CASES = [("POST", "/oauth2/v1/token", 3000), ("GET", "/admin/v1/SigningCert/jwk", 20000)]


def scope(method: str, path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", BASIC),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def one(app, method: str, path: str) -> None:
    sent = []

    async def receive() -> dict:
        return {"type": "http.request", "body": BODY if method == "POST" else b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope(method, path), receive, send)
    assert sent[0]["status"] == 200, sent


async def main(rounds: int) -> None:
    app = create_app([IdentityDomain.load(default_fixtures())], ServerSettings())
    for method, path, count in CASES:
        for _ in range(200):
            await one(app, method, path)
        best = float("inf")
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(count):
                await one(app, method, path)
            best = min(best, (time.process_time() - started) / count)
        print(f"{method} {path}: {best * 1e6:.1f} µs CPU per request (best of {rounds} x {count})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
