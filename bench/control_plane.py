"""What the control plane costs the token endpoint: client_credentials throughput with the control plane off
(`--no-control`), on (journal written, no fault queued), and on with a fault queued for another endpoint.

    .venv/bin/python bench/control_plane.py [--seconds 10] [--connections 32]

Needs `wrk` (Debian package `wrk`). One uvicorn worker; prints requests per second per setup.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

CLIENT = ("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293")
LUA = """
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=https%3A%2F%2Forders.example.com%2Fread"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic {basic}"
"""


def serve(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def wrk(url: str, script: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script, url + "/oauth2/v1/token"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"the benchmark got {non_2xx.group(1)} error answers:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/control_plane.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 1
    import base64

    basic = base64.b64encode(":".join(CLIENT).encode()).decode()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(basic=basic))
    try:
        setups = [
            ("control plane off (--no-control)", ("--no-control",), None),
            ("control plane on, journal, no fault", (), None),
            (
                "control plane on, a fault queued for userinfo",
                (),
                {"endpoint": "userinfo", "error": "server_error", "times": None},
            ),
        ]
        for label, flags, fault in setups:
            process, url = serve(*flags)
            try:
                if fault:
                    request = urllib.request.Request(
                        url + "/mockidp/v1/faults", json.dumps(fault).encode(), method="POST"
                    )
                    urllib.request.urlopen(request, timeout=10).close()
                wrk(url, script.name, 2, args.connections)  # warm up
                rate = wrk(url, script.name, args.seconds, args.connections)
                print(f"{label:50s} {rate:9.0f} req/s")
            finally:
                process.terminate()
                process.wait(timeout=15)
    finally:
        os.unlink(script.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
