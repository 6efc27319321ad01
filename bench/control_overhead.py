"""The control plane's cost per token request, measured in process (no sockets, no client competing for the
CPU): the app called directly as ASGI, control plane off vs on (journal written) vs on with a fault queued
for another endpoint.

    .venv/bin/python bench/control_overhead.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import time

from mockidp.core import faults
from mockidp.core.domain import IdentityDomain
from mockidp.paths import default_fixtures
from mockidp.web.app import create_app
from mockidp.web.context import ServerSettings

BODY = b"grant_type=client_credentials&scope=https%3A%2F%2Forders.example.com%2Fread"
BASIC = base64.b64encode(b"04c1e0a50787408782a5a06fb04f6522:5ec4e132-6cb8-4499-97fe-0c444faff293")


def scope() -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/oauth2/v1/token",
        "raw_path": b"/oauth2/v1/token",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(BODY)).encode()),
            (b"authorization", b"Basic " + BASIC),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def run(app, n: int) -> float:
    statuses = []

    async def receive() -> dict:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(200):  # warm up
        await app(scope(), receive, send)
    statuses.clear()
    start = time.perf_counter()
    for _ in range(n):
        await app(scope(), receive, send)
    elapsed = time.perf_counter() - start
    assert set(statuses) == {200}, set(statuses)
    return elapsed / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds, interleaved; the best of each is shown")
    args = parser.parse_args()
    apps = {}
    for label, control, fault in (
        ("control plane off", False, False),
        ("control plane on, journal, no fault", True, False),
        ("control plane on, a fault queued elsewhere", True, True),
    ):
        domain = IdentityDomain.load(default_fixtures())
        if fault:
            faults.add(domain.store, {"endpoint": "userinfo", "error": "server_error", "times": None})
        apps[label] = create_app([domain], ServerSettings(control=control))
    best = dict.fromkeys(apps, float("inf"))
    for _ in range(args.rounds):  # interleaved, so that a noisy neighbour hurts every setup alike
        for label, app in apps.items():
            best[label] = min(best[label], asyncio.run(run(app, args.requests)))
    base = best["control plane off"]
    for label, micros in best.items():
        print(f"{label:45s} {micros:7.0f} µs/request  {1e6 / micros:6.0f} req/s/core  ({micros - base:+.0f} µs)")


if __name__ == "__main__":
    main()
