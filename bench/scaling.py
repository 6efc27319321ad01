"""mockidp on a shared store: client_credentials tokens/s with the memory store, with Redis and one worker, and with
Redis and two workers (`--workers 2`); prints figures, asserts nothing.

Every configuration is loaded with wrk (32 connections, the same Lua POST as bench/run.py), and CPU time is read
from /proc for each part — mockidp's processes, redis-server and wrk — so the figures say both what the clients
got (tokens/s) and what a token cost (CPU µs per token, mockidp + Redis), whatever else ran on the machine:

- `memory, 1 process` and `redis, 1 worker` pin mockidp to core 0 and wrk and Redis to core 1: the cost of the
  Redis store per request is the difference in CPU per token (mockidp's, then mockidp's + Redis');
- `redis, 1 worker` and `redis, 2 workers` unpinned: what a second worker adds on this 2-core machine, where
  wrk and Redis share the cores with mockidp (their CPU shares are printed beside the figures).

Needs wrk, taskset and redis-server (apt-get install wrk util-linux redis-server).
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN, TOKEN_LUA, check_token_request, free_port, machine, wrk


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Redis:
    def __init__(self, cpus: str | None) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="mockidp-bench-redis-")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.dir]
        if cpus:
            command = ["taskset", "-c", cpus, *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "FLUSHALL"], capture_output=True, check=False)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Mockidp:
    def __init__(self, args: list[str], cpus: str | None) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "mockidp", "serve", "--port", str(self.port), "--log-level", "warning", *args]
        if cpus:
            command = ["taskset", "-c", cpus, *command]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        if not line.startswith("http"):
            raise SystemExit(f"mockidp {' '.join(args)} did not start: {self.process.stderr.read()}")

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid) + sum(cpu_seconds(child) for child in children(self.process.pid))

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=20)


def wrk_cpu_hook() -> float:
    """CPU seconds used so far by wrk processes (children of this script), from resource accounting."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(label: str, serve_args: list[str], args: argparse.Namespace, redis: Redis | None, pinned: bool) -> dict:
    if redis is not None:
        redis.flush()
    server = Mockidp(serve_args, "0" if pinned else None)
    try:
        check_token_request(server.port)
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        script = TOKEN_LUA.format(basic=basic, scope=SCOPE)
        if args.warmup:
            wrk(server.port, TOKEN, script, args.connections, args.warmup, cpus=None if not pinned else "1")
        best: dict = {}
        for _ in range(args.attempts):
            server_before = server.cpu()
            redis_before = cpu_seconds(redis.process.pid) if redis else 0.0
            wrk_before = wrk_cpu_hook()
            started = time.perf_counter()
            figures = wrk(server.port, TOKEN, script, args.connections, args.duration, cpus=None if not pinned else "1")
            wall = time.perf_counter() - started
            figures["mockidp_cpu"] = (server.cpu() - server_before) / wall  # cores used
            figures["redis_cpu"] = ((cpu_seconds(redis.process.pid) if redis else 0.0) - redis_before) / wall
            figures["wrk_cpu"] = (wrk_cpu_hook() - wrk_before) / wall
            served = figures["rps"] * wall
            figures["us_per_token"] = (figures["mockidp_cpu"] + figures["redis_cpu"]) * wall / served * 1e6
            figures["mockidp_us_per_token"] = figures["mockidp_cpu"] * wall / served * 1e6
            if not best or figures["rps"] > best["rps"]:
                best = figures
        flaw = f"  !! {best['non_2xx']} non-2xx" if best["non_2xx"] or best["socket_errors"] else ""
        print(
            f"{label:<34} {best['rps']:>7,.0f} tokens/s  p50 {best['p50_ms']:>5.1f} ms  p99 {best['p99_ms']:>5.1f} ms"
            f"  | CPU/token {best['us_per_token']:>4.0f} µs (mockidp {best['mockidp_us_per_token']:.0f})"
            f"  | cores: mockidp {best['mockidp_cpu']:.2f}, redis {best['redis_cpu']:.2f}, wrk {best['wrk_cpu']:.2f}"
            f"{flaw}"
        )
        return best
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--attempts", type=int, default=2, help="load runs per configuration; the best is kept")
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: apt-get install wrk util-linux redis-server")
    for name, value in machine().items():
        print(f"{name:>9}: {value}")
    print("     load: load average " + Path("/proc/loadavg").read_text().split()[0] + " before the run\n")

    redis = Redis("1")
    try:
        print("pinned: mockidp on core 0; wrk and redis-server on core 1")
        memory = measure("memory, 1 process", [], args, None, pinned=True)
        one = measure("redis, 1 worker", ["--store", redis.url], args, redis, pinned=True)
        print(
            f"  -> the Redis store costs {one['us_per_token'] / memory['us_per_token'] - 1:+.0%} CPU per token "
            f"(mockidp + Redis), {one['mockidp_us_per_token'] / memory['mockidp_us_per_token'] - 1:+.0%} in mockidp"
        )
    finally:
        redis.stop()
    redis = Redis(None)
    try:
        print("\nunpinned: everything shares both cores")
        memory_free = measure("memory, 1 process", [], args, None, pinned=False)
        one_free = measure("redis, 1 worker", ["--store", redis.url], args, redis, pinned=False)
        two_free = measure("redis, 2 workers", ["--store", redis.url, "--workers", "2"], args, redis, pinned=False)
        print(
            f"  -> 2 workers / 1 worker: {two_free['rps'] / one_free['rps']:.2f}x tokens/s measured; "
            f"memory 1 process {memory_free['rps']:,.0f} tokens/s"
        )
        # What the cores would give with nothing else on the machine: one worker can use one core; two can use
        # both but for what wrk and Redis take (their cores per token, measured, times the rate).
        others = (two_free["wrk_cpu"] + two_free["redis_cpu"]) / two_free["rps"]  # core-seconds per token
        one_rate = 1e6 / one_free["mockidp_us_per_token"]
        two_rate = 2 / (two_free["mockidp_us_per_token"] / 1e6 + others)
        print(
            f"  -> on an otherwise idle machine, from the CPU per token measured: 1 worker {one_rate:,.0f} tokens/s, "
            f"2 workers {two_rate:,.0f} tokens/s ({two_rate / one_rate:.2f}x)"
        )
    finally:
        redis.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
