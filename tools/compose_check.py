"""The checks of tools/compose-check: docs/examples/scaling/compose.yaml, up with podman-compose, used as a user
would, through its load balancer only (and podman, to see which replica answered and to stop and start Redis).

Usage: compose_check.py --project NAME [--url http://localhost:8000] [--control-token change-me]
Prints one line per check; exits 1 at the first that fails. Needs requests and PyJWT (mockidp's own venv has
them). Which replica answered a request: the load balancer's access log (`upstream=…`, see nginx.conf), found by
the User-Agent each request here carries.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

CLIENT = ("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293")
USER = ("user@example.com", "Welcome1!")
SCOPE = "https://orders.example.com/read"
AUDIENCE = "https://orders.example.com/"
SPREAD = 6  # requests sent where the replicas that answered are counted: two rounds of three


class CheckFailed(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def say(message: str) -> None:
    print(f"compose-check: ok: {message}", flush=True)


def run_podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)  # noqa: S603, S607


def podman(*args: str) -> str:
    return run_podman(*args).stdout


@dataclass
class Stack:
    url: str
    project: str
    control: dict[str, str]
    sent: int = 0
    replicas: dict[str, str] = field(default_factory=dict)  # address -> container name
    containers: dict[str, list[str]] = field(default_factory=dict)  # service -> container names

    def find_containers(self) -> None:
        listing = json.loads(
            podman("ps", "-a", "--filter", f"label=io.podman.compose.project={self.project}", "--format", "json")
        )
        for container in listing:
            service = container["Labels"]["com.docker.compose.service"]
            self.containers.setdefault(service, []).append(container["Names"][0])
        for name in self.containers.get("mockidp", []):
            networks = json.loads(podman("inspect", name))[0]["NetworkSettings"]["Networks"]
            for network in networks.values():
                self.replicas[network["IPAddress"]] = name

    def one(self, service: str) -> str:
        names = self.containers.get(service, [])
        check(len(names) == 1, f"one {service} container, found {names}")
        return names[0]

    def request(self, method: str, path: str, tag: str, **kwargs: Any) -> tuple[requests.Response, str]:
        """One request through the load balancer, marked so that the access log tells which replica answered."""
        self.sent += 1
        marker = f"compose-check/{tag}-{self.sent}"
        headers = {"User-Agent": marker, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs), marker

    def answered_by(self, markers: list[str]) -> list[str]:
        """The replica (container name) that answered each marked request, from the load balancer's log."""
        lb = self.one("lb")
        found: dict[str, str] = {}
        for _ in range(50):  # the log reaches podman a moment after the answer reaches us
            log = run_podman("logs", lb)
            for line in (log.stdout + log.stderr).splitlines():
                for marker in markers:
                    if f'"{marker}"' in line and "upstream=" in line:
                        address = line.rsplit("upstream=", 1)[1].split()[0].rsplit(":", 1)[0]
                        found[marker] = self.replicas.get(address, address)
            if len(found) == len(markers):
                return [found[m] for m in markers]
            time.sleep(0.1)
        raise CheckFailed(f"the load balancer's log has no upstream=… for {sorted(set(markers) - set(found))}")

    def token(self, tag: str, **form: str) -> tuple[requests.Response, str]:
        return self.request("POST", "/oauth2/v1/token", tag, auth=CLIENT, data=form)

    def client_credentials(self, tag: str) -> tuple[requests.Response, str]:
        return self.token(tag, grant_type="client_credentials", scope=SCOPE)


def short(name: str) -> str:
    """mockidp_2 for podman-compose's <project>_mockidp_2."""
    return "_".join(name.split("_")[-2:])


def spread(replicas: list[str]) -> str:
    return ", ".join(f"{short(name)} {n}" for name, n in sorted(Counter(replicas).items()))


def wait_until_ready(stack: Stack, seconds: float) -> None:
    """Every replica's own HEALTHCHECK passes (nginx skips a replica it could not reach for a while: asking through
    it would not tell), then the load balancer answers."""
    stack.find_containers()
    names = stack.containers.get("mockidp", [])
    check(len(names) == 3 and len(stack.replicas) == 3, f"3 mockidp replicas with an address each, found {names}")
    deadline, waiting = time.monotonic() + seconds, list(names)
    while waiting:
        check(time.monotonic() < deadline, f"the HEALTHCHECK does not pass within {seconds:.0f} s in {waiting}")
        waiting = [name for name in waiting if not healthcheck(name)]
        if waiting:
            time.sleep(0.5)
    while True:
        try:
            if requests.get(f"{stack.url}/mockidp/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        check(time.monotonic() < deadline, f"{stack.url}/mockidp/health does not answer 200 within {seconds:.0f} s")
        time.sleep(0.2)
    say(f"3 mockidp replicas up, the image's HEALTHCHECK passing in each ({', '.join(names)}); one redis, one lb")


def check_control_plane(stack: Stack) -> None:
    refused = requests.post(f"{stack.url}/mockidp/v1/reset", timeout=10)
    check(refused.status_code == 401, f"the control plane without its token: {refused.status_code}")
    reset = requests.post(f"{stack.url}/mockidp/v1/reset", headers=stack.control, timeout=10)
    check(reset.status_code in (200, 204), f"reset: {reset.status_code} {reset.text}")
    say("the control plane refuses a call without MOCKIDP_CONTROL_TOKEN (401) and takes one with it (reset)")


def check_discovery(stack: Stack) -> dict[str, Any]:
    answer, _ = stack.request("GET", "/.well-known/openid-configuration", "discovery")
    check(answer.status_code == 200, f"discovery: {answer.status_code}")
    discovery = answer.json()
    urls = {k: v for k, v in discovery.items() if isinstance(v, str) and v.startswith("http") and k != "issuer"}
    check(urls, "discovery lists no endpoints")
    wrong = {k: v for k, v in urls.items() if not v.startswith(f"{stack.url}/")}
    check(not wrong, f"discovery advertises other URLs than {stack.url}: {wrong}")
    say(f"discovery advertises {stack.url} ({len(urls)} endpoints, jwks_uri {discovery['jwks_uri']})")
    return discovery


def check_health(stack: Stack) -> None:
    """Health through the load balancer, until it reaches every replica: nginx skips a replica it failed to reach
    (a replica not yet listening when the first requests came) for fail_timeout, 10 s."""
    deadline, rounds = time.monotonic() + 15, 0
    while True:
        rounds += 1
        markers = []
        for _ in range(SPREAD):
            answer, marker = stack.request("GET", "/mockidp/health", "health")
            check(answer.status_code == 200, f"health: {answer.status_code} {answer.text}")
            check(answer.json()["store"] == {"kind": "redis", "status": "ok"}, f"health: {answer.text}")
            markers.append(marker)
        replicas = stack.answered_by(markers)
        if len(set(replicas)) == 3:
            break
        check(time.monotonic() < deadline, f"round robin: {SPREAD} requests reached {spread(replicas)} (for 15 s)")
        time.sleep(1)
    missed = f"; after {rounds - 1} rounds of {SPREAD} that missed one" if rounds > 1 else ""
    say(f"/mockidp/health 200, store redis ok, from every replica ({spread(replicas)}{missed})")


def verify(token: str, jwks: dict[str, Any], issuer: str) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = [k for k in jwks["keys"] if k.get("kid") == kid]
    check(keys, f"no key {kid} in the JWKS")
    return jwt.decode(token, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer)


def check_client_credentials(stack: Stack, discovery: dict[str, Any]) -> None:
    jwks = requests.get(discovery["jwks_uri"], timeout=10).json()
    markers = []
    for _ in range(SPREAD):
        answer, marker = stack.client_credentials("cc")
        check(answer.status_code == 200, f"client_credentials: {answer.status_code} {answer.text}")
        claims = verify(answer.json()["access_token"], jwks, discovery["issuer"])
        check(claims["sub"] == CLIENT[0], f"client_credentials: sub {claims['sub']}")
        markers.append(marker)
    replicas = stack.answered_by(markers)
    check(len(set(replicas)) > 1, f"tokens came from one replica only: {spread(replicas)}")
    say(
        f"{SPREAD} client_credentials tokens verify against the JWKS (RS256, aud {AUDIENCE},"
        f" iss {discovery['issuer']}); issued by {spread(replicas)}"
    )


def check_refresh_across_replicas(stack: Stack) -> None:
    answer, marker = stack.token(
        "password", grant_type="password", username=USER[0], password=USER[1], scope=f"{SCOPE} offline_access"
    )
    check(answer.status_code == 200 and "refresh_token" in answer.json(), f"password grant: {answer.text}")
    refresh, markers = answer.json()["refresh_token"], [marker]
    for _ in range(3):  # each redeemed in a later request, which the round robin sends to another replica
        answer, marker = stack.token("refresh", grant_type="refresh_token", refresh_token=refresh)
        check(answer.status_code == 200, f"refresh_token grant: {answer.status_code} {answer.text}")
        refresh = answer.json().get("refresh_token", refresh)
        markers.append(marker)
    replicas = stack.answered_by(markers)
    hops = [f"{short(a)}→{short(b)}" for a, b in itertools.pairwise(replicas)]
    check(any(a != b for a, b in itertools.pairwise(replicas)), f"never redeemed elsewhere: {hops}")
    journal = requests.get(
        f"{stack.url}/mockidp/v1/requests", params={"endpoint": "token", "limit": 4}, headers=stack.control, timeout=10
    )
    check(journal.status_code == 200, f"journal: {journal.status_code} {journal.text}")
    entries = journal.json()["requests"]
    grants = [(e["grant_type"], e["status"]) for e in entries]
    expected = [("password", 200)] + [("refresh_token", 200)] * 3
    check(grants == expected, f"journal: {grants}")
    say(
        "password-grant refresh token redeemed in later requests, issuer→redeemer replica "
        f"{', '.join(hops)}; the one journal (read through any replica) holds all 4, 200 each"
    )


def check_fault_times_3(stack: Stack) -> None:
    fault = requests.post(
        f"{stack.url}/mockidp/v1/faults",
        json={"endpoint": "token", "error": "temporarily_unavailable", "times": 3},
        headers=stack.control,
        timeout=10,
    )
    check(fault.status_code == 201, f"queue a fault: {fault.status_code} {fault.text}")
    fault_id = fault.json()["id"]
    statuses, markers = [], []
    for _ in range(SPREAD):
        answer, marker = stack.client_credentials("fault")
        statuses.append(answer.status_code)
        markers.append(marker)
    check(statuses == [503, 503, 503, 200, 200, 200], f"with a fault for 3 requests: {statuses}")
    replicas = stack.answered_by(markers)[:3]
    state = requests.get(f"{stack.url}/mockidp/v1/faults/{fault_id}", headers=stack.control, timeout=10).json()
    check(state["hits"] == 3 and state["remaining"] == 0 and not state["active"], f"the fault afterwards: {state}")
    journal = requests.get(
        f"{stack.url}/mockidp/v1/requests",
        params={"endpoint": "token", "limit": SPREAD},
        headers=stack.control,
        timeout=10,
    ).json()["requests"]
    check([e.get("fault") for e in journal] == [fault_id] * 3 + [None] * 3, f"journal faults: {journal}")
    say(
        f'a fault queued once ("times": 3) fired exactly 3 times, on {spread(replicas)}; then 3 real answers '
        f"(statuses {statuses}; the fault: hits 3, remaining 0, inactive)"
    )


def healthcheck(container: str) -> bool:
    return run_podman("healthcheck", "run", container, check=False).returncode == 0


def check_redis_outage(stack: Stack, discovery: dict[str, Any]) -> None:
    redis, replicas = stack.one("redis"), stack.containers["mockidp"]
    check(healthcheck(redis), f"the redis healthcheck (redis-cli ping) passes in {redis}")
    check(all(healthcheck(r) for r in replicas), "the image's HEALTHCHECK passes in every replica")
    say("the healthchecks pass: redis-cli ping in redis, the image's HEALTHCHECK in every replica")
    podman("stop", "-t", "2", redis)
    try:
        tokens, health, markers = [], [], []
        for _ in range(SPREAD):
            answer, marker = stack.client_credentials("outage")
            body = answer.json()
            tokens.append((answer.status_code, body.get("error"), answer.headers.get("Retry-After")))
            markers.append(marker)
            answer, _ = stack.request("GET", "/mockidp/health", "outage-health")
            health.append((answer.status_code, answer.json()["store"]["status"]))
        check(set(tokens) == {(503, "temporarily_unavailable", "1")}, f"token requests with Redis stopped: {tokens}")
        check(set(health) == {(503, "down")}, f"health with Redis stopped: {health}")
        down = stack.answered_by(markers)
        check(len(set(down)) > 1, f"the 503s came from one replica only: {spread(down)}")
        unhealthy = [r for r in replicas if not healthcheck(r)]
        check(len(unhealthy) == len(replicas), f"HEALTHCHECK still passes in {set(replicas) - set(unhealthy)}")
        say(
            f"Redis stopped: {SPREAD} token requests 503 temporarily_unavailable with Retry-After: 1 ({spread(down)}),"
            f" {SPREAD} health requests 503 store down, the HEALTHCHECK fails in every replica"
        )
    finally:
        podman("start", redis)
    started, streak, seen, first = time.monotonic(), 0, [], 0.0
    while streak < SPREAD:
        check(time.monotonic() - started < 20, f"no steady service within 20 s of starting Redis: {seen[-12:]}")
        answer, _ = stack.client_credentials("resume")
        seen.append(answer.status_code)
        streak = streak + 1 if answer.status_code == 200 else 0
        if answer.status_code != 200:
            time.sleep(0.1)
        elif streak == 1:
            first = time.monotonic() - started
    jwks = requests.get(discovery["jwks_uri"], timeout=10).json()
    verify(answer.json()["access_token"], jwks, discovery["issuer"])
    # Each worker of each replica finds Redis again at its own next try (a backoff of up to 2 s): a worker that the
    # requests above did not reach may still answer 503 for a moment.
    waiting = list(replicas)
    while waiting:
        check(time.monotonic() - started < 20, f"the HEALTHCHECK does not pass again within 20 s in {waiting}")
        waiting = [name for name in waiting if not healthcheck(name)]
        if waiting:
            time.sleep(0.5)
    say(
        f"Redis started: a token again {first:.1f} s after `podman start` returned ({seen.count(503)} answers 503"
        f" before), then {SPREAD} tokens 200 in a row, the last verified; the HEALTHCHECK passes again in every"
        f" replica {time.monotonic() - started:.1f} s after the start"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True, help="the compose project name (podman-compose -p)")
    parser.add_argument("--url", default="http://localhost:8000", help="the load balancer (default: %(default)s)")
    parser.add_argument("--control-token", default="change-me", help="MOCKIDP_CONTROL_TOKEN of compose.yaml")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for the stack (default: %(default)s)")
    args = parser.parse_args()
    stack = Stack(args.url.rstrip("/"), args.project, {"Authorization": f"Bearer {args.control_token}"})
    try:
        wait_until_ready(stack, args.wait)
        check_control_plane(stack)
        discovery = check_discovery(stack)
        check_health(stack)
        check_client_credentials(stack, discovery)
        check_refresh_across_replicas(stack)
        check_fault_times_3(stack)
        check_redis_outage(stack, discovery)
    except (CheckFailed, jwt.PyJWTError, requests.RequestException, subprocess.CalledProcessError) as exc:
        print(f"compose-check: FAIL: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
