"""Several `mockidp serve` processes on one real redis-server are one identity domain: what one issues, another
redeems; faults, clock, keys, run-time users, reset and journal are shared; Redis lost mid-run is a 503 and
service resumes by itself; `--workers N` serves N processes on one port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from conftest import SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER
from redis_support import RedisServer, Serve, free_port, redis_server, redis_url, serve  # noqa: F401 - fixtures

from mockidp.paths import default_fixtures

pytest_plugins = ["pytester"]

SEED_AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)
READ = "https://orders.example.com/read"
CC = {"grant_type": "client_credentials", "scope": READ}


def token(process: Serve, data: dict[str, str] = CC, auth: tuple[str, str] = SEED_AUTH) -> requests.Response:
    return process.post("/oauth2/v1/token", data=data, auth=auth)


def verify_at(process: Serve, access_token: str) -> dict:
    """Check a token as a resource server would: signature against the JWKS of `process`."""
    keys = jwt.PyJWKClient(process.url + "/admin/v1/SigningCert/jwk", cache_keys=False)
    key = keys.get_signing_key_from_jwt(access_token)
    return jwt.decode(access_token, key.key, algorithms=["RS256"], options={"verify_aud": False})


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


@pytest.fixture
def two(serve, redis_url: str) -> tuple[Serve, Serve]:
    return serve("--store", redis_url, "--auto-login"), serve("--store", redis_url, "--auto-login")


def test_a_code_issued_by_one_process_is_redeemed_at_another_once(two) -> None:
    a, b = two
    redirect = "http://localhost:8001"
    answer = a.get(
        "/oauth2/v1/authorize",
        params={"client_id": SEED_CLIENT_ID, "response_type": "code", "redirect_uri": redirect, "scope": "openid"},
        allow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    redeem = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    tokens = token(b, redeem)
    assert tokens.status_code == 200, tokens.text
    assert verify_at(a, tokens.json()["access_token"])["sub"] == SEED_USER
    again = token(a, redeem)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_code_redeemed_at_two_processes_at_once_is_used_once_and_its_tokens_revoked(two) -> None:
    """RFC 6749 §4.1.2: a code used twice is refused, and the tokens issued for it are revoked — also when the two
    redemptions race in two processes (each claims the code with one atomic add before taking it)."""
    a, b = two
    redirect = "http://localhost:8001"
    for _ in range(3):  # a race is a matter of timing: a few rounds
        answer = a.get(
            "/oauth2/v1/authorize",
            params={"client_id": SEED_CLIENT_ID, "response_type": "code", "redirect_uri": redirect, "scope": "openid"},
            allow_redirects=False,
        )
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        redeem = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
        barrier = threading.Barrier(8)
        answers: list[requests.Response] = []

        def race(
            process: Serve, redeem: dict = redeem, barrier: threading.Barrier = barrier, answers: list = answers
        ) -> None:
            with requests.Session() as session:
                session.get(process.url + "/.well-known/openid-configuration", timeout=10)
                barrier.wait(timeout=30)
                answers.append(session.post(process.url + "/oauth2/v1/token", data=redeem, auth=SEED_AUTH, timeout=30))

        threads = [threading.Thread(target=race, args=(a if i % 2 else b,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(r.status_code for r in answers) == [200] + [400] * 7, [r.text for r in answers]
        refused = [r.json()["error_description"] for r in answers if r.status_code == 400]
        assert all("already been used" in text for text in refused), refused
        issued = next(r.json() for r in answers if r.status_code == 200)
        for process in (a, b):
            introspected = process.post("/oauth2/v1/introspect", data={"token": issued["access_token"]}, auth=SEED_AUTH)
            assert introspected.json()["active"] is False


def test_refresh_at_another_process_and_revocation_seen_by_all(two) -> None:
    a, b = two
    first = token(
        a,
        {
            "grant_type": "password",
            "username": SEED_USER,
            "password": "Welcome1!",
            "scope": "openid offline_access " + READ,
        },
    )
    assert first.status_code == 200, first.text
    refreshed = token(b, {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    access = refreshed.json()["access_token"]
    assert a.post("/oauth2/v1/introspect", data={"token": access}, auth=SEED_AUTH).json()["active"] is True
    assert b.post("/oauth2/v1/revoke", data={"token": access}, auth=SEED_AUTH).status_code == 200
    assert a.post("/oauth2/v1/introspect", data={"token": access}, auth=SEED_AUTH).json()["active"] is False
    assert a.get("/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_a_fault_for_three_requests_fires_three_times_in_total(two) -> None:
    a, b = two
    fault = a.post("/mockidp/v1/faults", json={"endpoint": "token", "error": "temporarily_unavailable", "times": 3})
    assert fault.status_code in (200, 201), fault.text
    statuses = [token(process).status_code for process in (a, b, b, a, b, a, b)]
    assert sorted(statuses) == [200] * 4 + [503] * 3
    assert statuses[:3] == [503, 503, 503]
    shown = b.get(f"/mockidp/v1/faults/{fault.json()['id']}").json()
    assert shown["hits"] == 3 and shown["active"] is False


def test_the_clock_moved_at_one_process_moves_for_all(two) -> None:
    a, b = two
    assert a.post("/mockidp/v1/clock", json={"action": "advance", "seconds": 7200}).status_code == 200
    claims = jwt.decode(token(b).json()["access_token"], options={"verify_signature": False})
    assert claims["iat"] > time.time() + 7000
    assert abs(b.get("/mockidp/v1/clock").json()["offset"] - 7200) < 5


def test_a_key_rotation_at_one_process_is_seen_by_all_at_once(two) -> None:
    a, b = two
    before = token(b).json()["access_token"]
    kid = a.post("/mockidp/v1/keys/rotate").json()["key"]["kid"]
    assert kid in [key["kid"] for key in b.get("/admin/v1/SigningCert/jwk").json()["keys"]]
    after = token(b).json()["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == kid
    assert verify_at(a, after)["client_id"] == SEED_CLIENT_ID
    assert verify_at(a, before)["client_id"] == SEED_CLIENT_ID  # the old key stays published


def test_run_time_users_reset_and_journal_are_shared(two) -> None:
    a, b = two
    added = a.session.put("/".join([a.url, "mockidp/v1/users", "carol@example.com"]), json={"password": "Carol1!pass"})
    assert added.status_code in (200, 201), added.text
    grant = {"grant_type": "password", "username": "carol@example.com", "password": "Carol1!pass", "scope": "openid"}
    assert token(b, grant).status_code == 200
    entries = a.get("/mockidp/v1/requests", params={"endpoint": "token"}).json()["requests"]
    assert [entry["user"] for entry in entries] == ["carol@example.com"]
    a.post("/mockidp/v1/faults", json={"endpoint": "token", "error": "invalid_grant", "times": None})
    assert b.post("/mockidp/v1/reset").status_code in (200, 204)
    assert token(a, grant).json()["error"] == "invalid_grant"  # carol is gone, and so is the fault:
    assert a.get("/mockidp/v1/faults").json()["faults"] == []
    assert [entry["user"] for entry in b.get("/mockidp/v1/requests").json()["requests"]] == ["carol@example.com"]


def test_processes_without_a_key_file_make_one_key_and_share_it(serve, redis_url: str, tmp_path: Path) -> None:
    copies = []
    for name in ("one", "two"):
        directory = tmp_path / name
        shutil.copytree(default_fixtures(), directory, ignore=shutil.ignore_patterns("signing-key.pem"))
        copies.append(directory)
    a = serve("--store", redis_url, "--fixtures", str(copies[0]))
    b = serve("--store", redis_url, "--fixtures", str(copies[1]))
    assert a.get("/admin/v1/SigningCert/jwk").json() == b.get("/admin/v1/SigningCert/jwk").json()
    assert verify_at(b, token(a).json()["access_token"])["client_id"] == SEED_CLIENT_ID
    assert (copies[0] / "signing-key.pem").read_bytes() == (copies[1] / "signing-key.pem").read_bytes()


def test_redis_lost_mid_run_is_a_503_and_service_resumes_by_itself(serve, redis_server: RedisServer) -> None:
    redis_server.flush()
    a = serve("--store", redis_server.url)
    b = serve("--store", redis_server.url, "--no-control")
    assert token(a).status_code == 200
    assert b.get("/mockidp/health").json()["status"] == "ok"
    redis_server.stop()
    try:
        down = token(a)
        assert down.status_code == 503
        assert down.json()["error"] == "temporarily_unavailable" and down.json()["ecid"]
        page = a.get("/ui/v1/signin", params={"client_id": SEED_CLIENT_ID})
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        admin = a.get("/admin/v1/Users")
        assert admin.status_code == 503 and admin.headers["content-type"].startswith("application/scim+json")
        assert admin.json()["status"] == "503" and "temporarily unavailable" in admin.json()["detail"]
        health = b.get("/mockidp/health")
        assert health.status_code == 503
        assert health.json()["store"]["status"] == "down" and "Redis" in health.json()["store"]["reason"]
    finally:
        redis_server.start()
    assert wait_for(lambda: token(a).status_code == 200)
    assert wait_for(lambda: b.get("/mockidp/health").status_code == 200)
    # The restarted Redis knows none of the scripts: the journal (written without waiting) still records.
    assert token(a).status_code == 200
    assert a.get("/mockidp/v1/requests").json()["requests"][-1]["status"] == 200
    errors = a.stop() + b.stop()
    assert "Traceback" not in errors


def test_unreachable_redis_at_start_is_one_line_and_a_failure() -> None:
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--store", f"redis://127.0.0.1:{port}/0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Redis" in lines[0] and str(port) in lines[0], result.stderr


def test_workers_need_a_shared_store() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "MOCKIDP_STORE": "memory"},
    )
    assert result.returncode != 0
    assert "--workers 2 needs a shared store" in result.stderr and "--store redis://" in result.stderr


def test_workers_serve_one_port_as_one_domain(redis_url: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MOCKIDP_STORE": redis_url, "MOCKIDP_WORKERS": "2"},
        start_new_session=True,  # so that a failure below can stop the workers too
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        workers = wait_for(lambda: _children(process.pid) if len(_children(process.pid)) == 2 else None)
        assert workers and len(workers) == 2
        # New connections spread over both workers; what one issues, the other redeems.
        with requests.Session() as session:
            session.trust_env = False
            codes = []
            for _ in range(20):
                answer = requests.post(url + "/oauth2/v1/token", data=CC, auth=SEED_AUTH, timeout=10)
                assert answer.status_code == 200
                codes.append(answer.json()["access_token"])
        assert len(requests.get(url + "/mockidp/v1/requests", timeout=10).json()["requests"]) == 20
        # A worker that dies is replaced; the port keeps answering.
        os.kill(workers[0], signal.SIGKILL)
        assert wait_for(lambda: len(_children(process.pid)) == 2 and workers[0] not in _children(process.pid))
        assert requests.post(url + "/oauth2/v1/token", data=CC, auth=SEED_AUTH, timeout=10).status_code == 200
        serving = _children(process.pid)
        process.terminate()
        assert process.wait(timeout=20) == 0
        out, err = process.communicate(timeout=5)
        assert out.strip() == ""  # the ready line was printed once, and nothing after it
        assert "Traceback" not in err
        assert serving and wait_for(lambda: not any(_alive(pid) for pid in serving))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_workers_stop_when_their_parent_is_killed(redis_url: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--workers", "2", "--store", redis_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout.readline().startswith("http://")
        workers = wait_for(lambda: _children(process.pid) if len(_children(process.pid)) == 2 else None)
        assert workers
        process.kill()  # SIGKILL: the parent cannot stop them itself
        process.wait()
        assert wait_for(lambda: not any(_alive(pid) for pid in workers))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def test_mockidp_helpers_on_one_store_are_one_domain(redis_url: str) -> None:
    """docs/scaling.md, "In tests": two `MockIdP`s with one store URL."""
    from mockidp.testing import MockIdP

    with MockIdP(store=redis_url) as a, MockIdP(store=redis_url) as b:
        a.add_user("dora@example.com", password="Dora1!pass")
        with b.fault("token", error="temporarily_unavailable", times=2):
            statuses = [
                requests.post(idp.token_url, data=CC, auth=SEED_AUTH, timeout=10).status_code for idp in (a, b, a)
            ]
        assert statuses == [503, 503, 200]
        assert [entry.status for entry in b.requests("token")] == [503, 503, 200]
        grant = {"grant_type": "password", "username": "dora@example.com", "password": "Dora1!pass", "scope": "openid"}
        assert requests.post(b.token_url, data=grant, auth=SEED_AUTH, timeout=10).status_code == 200


PLUGIN_TESTS = """
import requests

SEED = ("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293")


def test_the_plugin_server_shares_the_store(mockidp):
    data = {"grant_type": "client_credentials", "scope": "https://orders.example.com/read"}
    assert requests.post(mockidp.token_url, data=data, auth=SEED, timeout=10).status_code == 503
"""


def test_the_pytest_plugin_takes_a_store_url(pytester: pytest.Pytester, serve, redis_url: str) -> None:
    """A fault queued through a `mockidp serve` beside the suite fires in the plugin's server: one domain.
    (The plugin resets the domain before the test, so the fault is queued by a conftest hook after that.)"""
    other = serve("--store", redis_url)
    pytester.makeconftest(
        f"""
import pytest, requests

@pytest.fixture(autouse=True)
def queue_elsewhere(mockidp):
    fault = {{"endpoint": "token", "error": "temporarily_unavailable"}}
    requests.post("{other.url}/mockidp/v1/faults", json=fault, timeout=10).raise_for_status()
"""
    )
    pytester.makepyfile(test_user=PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockidp-store", redis_url)
    result.assert_outcomes(passed=1)
