"""mockidp beside the peer mocks: the same start-up and client_credentials load, in one run (`bench/peers.py`).

Absolute figures on a shared machine move from day to day; a side-by-side figure does not. For mockidp and each
peer mock this script measures, with bench/run.py's own functions and settings:

(a) start-up: launch until the server's `/.well-known/openid-configuration` answers 200, median of --runs
    launches each (one uncounted launch each first), the servers' launches alternating;
(b) client_credentials tokens/s under wrk (32 connections, the same Lua POST script for all), p50/p99, the
    server's share of its core and wrk's share of its own; one token is requested first and checked (status
    200, an RS256 JWT whose signature verifies with the server's JWKS), so the figure counts real signed
    tokens. The runs alternate: mockidp, each peer, mockidp again (--rounds times), so that a change in the
    machine's speed during the run shows between mockidp's runs.

The servers run pinned to core 0 (`taskset -c 0`: all their threads, node's thread pool too), wrk and this
script to core 1. The peers are installed, pinned, into bench/.peers/ the first time (npm, and a venv for pip).
It prints figures and asserts nothing; it is not a test.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import importlib.metadata
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from run import (
    CLIENT_ID,
    CLIENT_SECRET,
    DISCOVERY,
    LOAD_CPU,
    SCOPE,
    SERVER_CPU,
    TOKEN_LUA,
    Server,
    add_load_options,
    machine,
    measure_load,
    request_token,
    startup_once,
    wrk,
)

PEERS = Path(__file__).resolve().parent / ".peers"
NODE_PREFIX = PEERS / "node"
VENV = PEERS / "venv"
# The newest releases that run here: oauth2-mock-server 9.x needs node 22 (this machine has node 20);
# oidc-provider-mock 0.4.x needs Python 3.12 (python3 here is 3.11).
OAUTH2_MOCK_SERVER = "8.2.3"
OIDC_PROVIDER_MOCK = "0.3.4"
SKIPPED = {
    "mock-oauth2-server (navikt)": "skipped: a Kotlin/JVM program released through Maven Central, "
    "which this machine cannot reach",
}


@dataclass
class Target:
    name: str
    version: str
    launch: Callable[[int], list[str]] | None  # the command for a port; None: `mockidp serve --port P`
    shown: str  # the command as printed
    startup: list[float] = field(default_factory=list)
    loads: list[dict] = field(default_factory=list)
    token: dict | None = None  # the checked token's header and claims
    refused: str = ""  # why it issues no client_credentials token, if it does not

    def start(self) -> Server:
        return Server([], launch=self.launch, name=self.name)


def install_oauth2_mock_server() -> dict[str, str]:
    """axa-group's oauth2-mock-server from npm into bench/.peers/node, unless that version is there."""
    package = NODE_PREFIX / "node_modules" / "oauth2-mock-server" / "package.json"
    if not package.exists() or json.loads(package.read_text())["version"] != OAUTH2_MOCK_SERVER:
        if shutil.which("npm") is None:
            raise SystemExit("npm is needed for oauth2-mock-server (node 20.19 or later)")
        print(f"installing oauth2-mock-server {OAUTH2_MOCK_SERVER} into {NODE_PREFIX} (npm) ...", flush=True)
        NODE_PREFIX.mkdir(parents=True, exist_ok=True)
        npm = ["npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", "--save-exact"]
        subprocess.run(
            [*npm, f"oauth2-mock-server@{OAUTH2_MOCK_SERVER}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def version(name: str) -> str:
        path = NODE_PREFIX / "node_modules" / name / "package.json"
        return json.loads(path.read_text())["version"] if path.exists() else "-"

    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return {"node": node, **{name: version(name) for name in ("oauth2-mock-server", "express", "jose")}}


def install_oidc_provider_mock() -> dict[str, str]:
    """oidc-provider-mock from PyPI into its own venv, bench/.peers/venv, unless that version is there."""
    python = VENV / "bin" / "python"
    names = ("oidc-provider-mock", "flask", "authlib", "joserfc", "uvicorn")
    probe = (
        "import importlib.metadata as m, json, platform\n"
        f"print(json.dumps({{'python': platform.python_version(), **{{n: m.version(n) for n in {names!r}}}}}))"
    )

    def versions() -> dict[str, str] | None:
        if not python.exists():
            return None
        done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
        return json.loads(done.stdout) if done.returncode == 0 else None

    found = versions()
    if found is None or found["oidc-provider-mock"] != OIDC_PROVIDER_MOCK:
        print(f"installing oidc-provider-mock {OIDC_PROVIDER_MOCK} into {VENV} (pip) ...", flush=True)
        if not python.exists():
            subprocess.run([shutil.which("python3") or "python3", "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, f"oidc-provider-mock=={OIDC_PROVIDER_MOCK}"], check=True)
        found = versions()
    return found


def targets(node_versions: dict[str, str], python_versions: dict[str, str]) -> list[Target]:
    cli = NODE_PREFIX / "node_modules" / "oauth2-mock-server" / "dist" / "oauth2-mock-server.mjs"
    provider = VENV / "bin" / "oidc-provider-mock"
    return [
        Target("mockidp", _mockidp_version(), None, "mockidp serve --port P (fixtures/default)"),
        Target(
            "oauth2-mock-server",
            f"{node_versions['oauth2-mock-server']} (express {node_versions['express']}, "
            f"jose {node_versions['jose']}, node {node_versions['node'].lstrip('v')})",
            lambda port: ["node", str(cli), "-a", "127.0.0.1", "-p", str(port)],
            "node oauth2-mock-server.mjs -a 127.0.0.1 -p P (its CLI: generates an RS256 key at launch)",
        ),
        Target(
            "oidc-provider-mock",
            f"{python_versions['oidc-provider-mock']} (flask {python_versions['flask']}, "
            f"authlib {python_versions['authlib']}, uvicorn {python_versions['uvicorn']}, "
            f"python {python_versions['python']})",
            lambda port: [str(provider), "--host", "127.0.0.1", "--port", str(port)],
            "oidc-provider-mock --host 127.0.0.1 --port P",
        ),
    ]


def _mockidp_version() -> str:
    return importlib.metadata.version("mockidp")


def _get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()


def check_token(port: int) -> tuple[str, dict | None, str]:
    """One client_credentials request at the token endpoint its discovery names, the same request as wrk's.

    Returns (token path, header and claims of a verified RS256 JWT or None, why not).
    """
    discovery = _get_json(port, DISCOVERY)
    path = urlsplit(discovery["token_endpoint"]).path
    status, raw = request_token(port, path)
    grants = discovery.get("grant_types_supported")
    listed = f"; its discovery lists grant types {', '.join(grants)}" if grants else ""
    if status != 200:
        return path, None, f"POST {path} answers {status} {raw[:120].decode(errors='replace')}{listed}"
    token = json.loads(raw).get("access_token", "")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        return path, None, f"its access_token is not a JWT ({error})"
    if header.get("alg") != "RS256":
        return path, None, f"its access_token is signed with {header.get('alg')}, not RS256"
    keys = jwt.PyJWKSet.from_dict(_get_json(port, urlsplit(discovery["jwks_uri"]).path)).keys
    key = next((k for k in keys if k.key_id == header.get("kid")), keys[0] if len(keys) == 1 else None)
    if key is None:
        return path, None, f"its JWKS has no key {header.get('kid')}"
    try:
        claims = json.loads(jwt.PyJWS().decode(token, key.key, algorithms=["RS256"]))
    except jwt.PyJWTError as error:
        return path, None, f"its token's signature does not verify with its JWKS ({error})"
    return path, {"header": header, "claims": claims, "bytes": len(token)}, ""


def load_run(target: Target, script: str, args: argparse.Namespace) -> dict | None:
    """Launch, check one token, warm up, measure (run.measure_load: re-run while disturbed), stop."""
    server = target.start()
    server.wait_ready()
    try:
        path, token, refused = check_token(server.port)
        if token is None:
            target.refused = refused
            return None
        target.token = token
        if args.warmup:
            wrk(server.port, path, script, args.connections, args.warmup)
        before, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        figures = measure_load(server, path, script, args)
        after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - wall
        # wrk's CPU (user + system) over the wall time of all attempts: how much of core 1 the load generator took
        figures["wrk_cpu_share"] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / wall
        figures["rss_peak_kb"] = server.status("VmHWM")
        figures["path"] = path
    finally:
        server.stop()
    figures["name"] = target.name
    target.loads.append(figures)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_options(parser, runs="start-up launches of each server (median reported)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="load rounds (mockidp, each peer), then mockidp once more"
    )
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "node"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: apt-get install wrk util-linux; node 20.19 or later")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("the benchmark needs two cores: one for the server, one for wrk")

    node_versions = install_oauth2_mock_server()
    python_versions = install_oidc_provider_mock()
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    servers = targets(node_versions, python_versions)

    info = machine()
    info["load"] = "load average " + Path("/proc/loadavg").read_text().split()[0] + " before the run"
    for name, value in info.items():
        print(f"{name:>9}: {value}")
    print(f"\nservers pinned to core {SERVER_CPU} (taskset), wrk and this script to core {LOAD_CPU}:")
    width = max(len(t.name) for t in servers)
    for target in servers:
        print(f"  {target.name:<{width}}  {target.version}\n  {'':<{width}}  {target.shown}")
    for name, why in SKIPPED.items():
        print(f"  {name}: {why}")

    for run in range(args.runs + 1):  # the first launch of each (not counted) may write caches
        for target in servers:
            elapsed = startup_once(target.start)
            if run:
                target.startup.append(elapsed)
    print(
        f"\n(a) start-up to first 200 from {DISCOVERY}: median of {args.runs} launches each, alternating"
        " (one uncounted launch each first)"
    )
    for target in servers:
        times = target.startup
        print(
            f"  {target.name:<{width}}  {statistics.median(times) * 1000:5.0f} ms"
            f"  (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
        )

    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    script = TOKEN_LUA.format(basic=basic, scope=SCOPE)
    print(
        f"\n(b) client_credentials tokens/s: {args.connections} connections, {args.duration} s after a"
        f" {args.warmup} s warm-up each, in this order (one token checked first: status 200, RS256 JWT,"
        " signature verified with the server's JWKS)"
    )
    order = [*servers * args.rounds, servers[0]]
    in_order: list[dict] = []
    for target in order:
        if target.refused:
            continue
        figures = load_run(target, script, args)
        if figures is None:
            print(f"  -  {target.name:<{width}}  no client_credentials token: {target.refused}")
            continue
        in_order.append(figures)
        flaw = ""
        if figures["non_2xx"] or figures["socket_errors"]:
            flaw = f"  !! {figures['non_2xx']} non-2xx, socket errors: {figures['socket_errors'] or 'none'}"
        attempts = "" if figures["attempts"] == 1 else f", best of {figures['attempts']} attempts"
        print(
            f"  {len(in_order)}. {target.name:<{width}}  {figures['rps']:6,.0f} tokens/s,"
            f" p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms;"
            f" server {figures['server_cpu_share']:.0%} of core {SERVER_CPU},"
            f" wrk {figures['wrk_cpu_share']:.0%} of core {LOAD_CPU};"
            f" peak RSS {figures['rss_peak_kb'] / 1024:.0f} MiB{attempts}{flaw}"
        )

    print("\ntokens as checked (header; claims):")
    for target in servers:
        if target.token:
            token = target.token
            print(
                f"  {target.name:<{width}}  {json.dumps(token['header'])}; {', '.join(token['claims'])}"
                f" ({token['bytes']} bytes)"
            )

    mockidp = servers[0]
    peers = [t for t in servers[1:] if t.loads]
    summary: dict = {}
    if mockidp.loads and peers:
        ours = statistics.mean(f["rps"] for f in mockidp.loads)
        fastest = max(peers, key=lambda t: statistics.mean(f["rps"] for f in t.loads))
        theirs = statistics.mean(f["rps"] for f in fastest.loads)
        first, last = mockidp.loads[0]["rps"], mockidp.loads[-1]["rps"]
        summary = {"mockidp_rps": ours, "fastest_peer": fastest.name, "fastest_peer_rps": theirs}
        summary["ratio"] = ours / theirs
        print(
            f"\nmockidp / fastest peer ({fastest.name}): {ours:,.0f} / {theirs:,.0f} tokens/s = {ours / theirs:.2f}x"
            f" (means of their runs; issue 11's goal: 1.75x); mockidp moved {(last - first) / first:+.0%}"
            f" from its first run to its last"
        )
        startup_peer = min(servers[1:], key=lambda t: statistics.median(t.startup))
        print(
            f"start-up: mockidp {statistics.median(mockidp.startup) * 1000:.0f} ms, fastest peer"
            f" ({startup_peer.name}) {statistics.median(startup_peer.startup) * 1000:.0f} ms"
        )

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "servers": {t.name: {"version": t.version, "command": t.shown} for t in servers},
                    "skipped": SKIPPED,
                    "startup_s": {t.name: t.startup for t in servers},
                    "load": in_order,
                    "tokens": {t.name: t.token for t in servers if t.token},
                    "no_client_credentials": {t.name: t.refused for t in servers if t.refused},
                    "summary": summary,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
