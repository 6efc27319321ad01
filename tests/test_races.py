"""Concurrent requests released together by a barrier: no race loses a key, a code, a token or a fault's count."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from conftest import ORDERS, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER

from mockidp.testing import MockIdP
from tests.flows import TV, authorize, follow, pkce, response_params, sign_in
from tests.test_device import DEVICE_GRANT
from tests.test_device import start as start_device
from tests.test_device import verify as verify_device

AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)
REDIRECT = "http://localhost:8001"


def together(count: int, idp: MockIdP, call: Callable[[requests.Session], Any]) -> list[Any]:
    """Run `call` in `count` threads, each on a connected session, released at the same instant."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with requests.Session() as session:
            session.get(idp.discovery_url, timeout=10)  # open the connection first
            barrier.wait(timeout=30)
            results[index] = call(session)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_rotations_each_make_a_key_and_none_is_lost(mockidp: MockIdP) -> None:
    answers = together(5, mockidp, lambda s: s.post(f"{mockidp.control_url}/keys/rotate", timeout=60))
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    kids = [a.json()["key"]["kid"] for a in answers]
    assert len(set(kids)) == 5, kids
    published = [key["kid"] for key in requests.get(mockidp.jwks_url, timeout=10).json()["keys"]]
    assert set(kids) | {"SIGNING_KEY"} == set(published)
    # Exactly one of them signs; the others (and the fixture key) stay published as previous keys.
    statuses = {key["kid"]: key["status"] for key in mockidp.keys()}
    assert sorted(statuses.values()) == ["active"] + ["previous"] * 5


def test_concurrent_next_keys_one_wins(mockidp: MockIdP) -> None:
    answers = together(5, mockidp, lambda s: s.post(f"{mockidp.control_url}/keys/next", timeout=60))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 4
    assert [key["status"] for key in mockidp.keys()] == ["active", "next"]


def test_a_kid_never_names_two_keys_across_resets(mockidp: MockIdP) -> None:
    seen: dict[str, str] = {}
    for _ in range(3):
        kid = mockidp.rotate_keys()
        x5t = next(key["x5t"] for key in mockidp.keys() if key["kid"] == kid)
        assert seen.setdefault(kid, x5t) == x5t, f"{kid} named two keys"
        mockidp.reset()
    assert len(seen) == 3


def test_a_code_redeemed_twenty_times_at_once_gives_tokens_once(mockidp: MockIdP) -> None:
    session = requests.Session()
    verifier, challenge = pkce()
    page = follow(
        session,
        authorize(
            session,
            mockidp.url,
            client_id=SEED_CLIENT_ID,
            response_type="code",
            redirect_uri=REDIRECT,
            scope="openid",
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
    )
    code = response_params(sign_in(session, page, SEED_USER).headers["location"])["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    answers = together(20, mockidp, lambda s: s.post(mockidp.token_url, auth=AUTH, data=form, timeout=30))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 19
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code == 400)


def test_an_approved_device_code_polled_at_once_gives_tokens_once(flow_idp: MockIdP) -> None:
    body = start_device(flow_idp)
    assert verify_device(flow_idp, body["user_code"]).status_code == 200
    poll = {"grant_type": DEVICE_GRANT, "device_code": body["device_code"], "client_id": TV}
    answers = together(10, flow_idp, lambda s: s.post(flow_idp.token_url, data=poll, timeout=30))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 9, [a.text for a in answers]


def test_a_fault_for_three_requests_fires_three_times_among_twenty_concurrent(mockidp: MockIdP) -> None:
    fault = mockidp.fault("token", error="temporarily_unavailable", times=3)
    data = {"grant_type": "client_credentials", "scope": f"{ORDERS}read"}
    answers = together(20, mockidp, lambda s: s.post(mockidp.token_url, auth=AUTH, data=data, timeout=30))
    assert sorted(a.status_code for a in answers) == [200] * 17 + [503] * 3
    assert fault.hits == 3


def test_two_servers_started_at_once_on_one_folder_share_one_new_key(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "default"
    for source in [*fixtures.glob("*.toml"), *fixtures.glob("*.pub.pem")]:  # everything but the signing key
        (tmp_path / source.name).write_text(source.read_text())
    assert not (tmp_path / "signing-key.pem").exists()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "mockidp", "serve", "--fixtures", str(tmp_path), "--port", "0"]
    servers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)
    ]
    try:
        urls = [server.stdout.readline().strip() for server in servers]  # type: ignore[union-attr]
        keys = [requests.get(f"{url}/admin/v1/SigningCert/jwk", timeout=10).json()["keys"][0]["n"] for url in urls]
        assert keys[0] == keys[1]
        assert (tmp_path / "signing-key.pem").stat().st_mode & 0o777 == 0o600
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    finally:
        logs = []
        for server in servers:
            server.terminate()
            logs.append(server.communicate(timeout=20)[1])
    made = [log for log in logs if "made a new signing key" in log]
    assert len(made) == 1, logs
