"""Stopping a real `mockidp serve` process with SIGTERM while requests are in flight: every request gets a
complete answer in the identity domain's shape (its own, or 503 `temporarily_unavailable` when it is still
running after the grace period), the process exits 0 within a bound, and a request body that never ends does
not hold the exit back."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from mockidp.testing import MockIdP
from mockidp.web.context import ServerSettings
from tests.helpers import SEED_AUTH

GRACE = 3.0  # uvicorn's timeout_graceful_shutdown in mockidp/server.py
EXIT_BOUND = GRACE + 4.0  # the grace period, then closing down (a loaded CI machine gets some slack)
CLIENT_CREDENTIALS = {"grant_type": "client_credentials", "scope": "https://orders.example.com/read"}


@dataclass
class Served:
    process: subprocess.Popen
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> tuple[float, str]:
        """SIGTERM, then wait for the exit: how long it took, and what the process logged."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        elapsed = time.monotonic() - started
        return elapsed, self.process.stderr.read()


@pytest.fixture
def served() -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), process.stderr.read()
    yield Served(process, url)
    if process.poll() is None:
        process.kill()
        process.wait()


def in_background(call: object) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        try:
            result["response"] = call()  # type: ignore[operator]
        except Exception as exc:  # what the client saw, for the assertion to show
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def wait_until_taken(fault: object) -> None:
    deadline = time.monotonic() + 10
    while fault.hits < 1:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.02)


def assert_idcs_error(response: requests.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description", "ecid"}, body
    assert body["error"] == error
    assert body["ecid"] == response.headers["X-ORACLE-DMS-ECID"]


def test_a_request_still_running_after_the_grace_period_gets_a_503_in_the_idcs_shape(served: Served) -> None:
    idp = MockIdP.attach(served.url)
    fault = idp.fault("token", delay=60)
    thread, result = in_background(
        lambda: requests.post(f"{served.url}/oauth2/v1/token", data=CLIENT_CREDENTIALS, auth=SEED_AUTH, timeout=30)
    )
    wait_until_taken(fault)
    elapsed, log = served.stop()
    thread.join(10)
    assert served.process.returncode == 0, log
    assert elapsed < EXIT_BOUND, f"exit took {elapsed:.1f} s"
    assert "response" in result, result
    response = result["response"]
    assert_idcs_error(response, 503, "temporarily_unavailable")
    assert response.headers["Retry-After"] == "1"
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log
    assert "POST /oauth2/v1/token -> 503: still running when the server stopped" in log


def test_a_request_that_ends_within_the_grace_period_gets_its_own_answer(served: Served) -> None:
    idp = MockIdP.attach(served.url)
    fault = idp.fault("token", delay=1)
    thread, result = in_background(
        lambda: requests.post(f"{served.url}/oauth2/v1/token", data=CLIENT_CREDENTIALS, auth=SEED_AUTH, timeout=30)
    )
    wait_until_taken(fault)
    elapsed, log = served.stop()
    thread.join(10)
    assert served.process.returncode == 0, log
    assert elapsed < EXIT_BOUND, f"exit took {elapsed:.1f} s"
    response = result["response"]
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
    assert "Traceback" not in log, log


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_a_chunked_body_that_never_ends_does_not_hold_the_exit(served: Served) -> None:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    sock.sendall(
        b"POST /oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk(b"grant_type=client_credentials&scope=")
    )
    stop = threading.Event()
    received: list[bytes] = []

    def trickle() -> None:  # a byte of body every 0.2 s, for ever (until the answer comes)
        while not stop.wait(0.2):
            try:
                sock.sendall(chunk(b"a"))
            except OSError:
                return

    def read() -> None:  # all along, so that the answer is read before anything can reset the connection
        try:
            while data := sock.recv(65536):
                received.append(data)
                stop.set()
        except OSError:
            pass
        stop.set()

    threads = [threading.Thread(target=trickle, daemon=True), threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        elapsed, log = served.stop()
        for thread in threads:
            thread.join(10)
    finally:
        stop.set()
        sock.close()
    answer = b"".join(received)
    assert served.process.returncode == 0, log
    assert elapsed < min(EXIT_BOUND, ServerSettings().body_timeout), f"exit took {elapsed:.1f} s"
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] in (b"HTTP/1.1 503 Service Unavailable", b"HTTP/1.1 408 Request Timeout"), answer
    error = json.loads(body)
    assert set(error) == {"error", "error_description", "ecid"}, error
    assert "Traceback" not in log, log
