"""Who may use the control plane: a bearer token, none at all, and a loud warning when it is open to a network."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from mockidp.testing import ControlPlaneError, MockIdP

TOKEN = "s3cr3t-control-token"


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockIdP]:
    with MockIdP(control_token=TOKEN) as server:
        yield server


def test_the_control_token_is_required(guarded: MockIdP) -> None:
    url = guarded.control_url + "/faults"
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ):
        response = requests.get(url, headers=headers, timeout=10)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "--control-token" in response.json()["error_description"]
    assert requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json() == {"faults": []}
    assert requests.get(guarded.control_url + "/openapi.json", timeout=10).status_code == 401


def test_the_python_api_sends_the_token(guarded: MockIdP) -> None:
    with guarded.fault("jwks", error="server_error"):
        assert requests.get(guarded.jwks_url, timeout=10).status_code == 500
    assert guarded.requests("jwks")[-1].status == 500
    with pytest.raises(ControlPlaneError) as raised:
        MockIdP.attach(guarded.url).faults()
    assert raised.value.status == 401


def test_the_identity_endpoints_need_no_control_token(guarded: MockIdP) -> None:
    assert requests.get(guarded.jwks_url, timeout=10).status_code == 200


def serve(*args: str) -> tuple[subprocess.Popen, str]:
    """`mockidp serve` in a child process; returns it and the URL it printed once ready."""
    env = {k: v for k, v in os.environ.items() if k != "MOCKIDP_CONTROL_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://"), process.communicate(timeout=10)
    return process, url


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    _, stderr = process.communicate(timeout=15)
    return stderr


def test_no_control_removes_the_control_plane() -> None:
    process, url = serve("--no-control")
    try:
        response = requests.get(url + "/mockidp/v1/faults", timeout=10)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
        for path in ("/mockidp/console", "/mockidp/console/callback", "/mockidp/console/static/console.js"):
            response = requests.get(url + path, timeout=10)  # the console goes with it
            assert (response.status_code, response.json()["error"]) == (404, "not_found"), path
        assert requests.get(url + "/admin/v1/SigningCert/jwk", timeout=10).status_code == 200
        home = requests.get(url + "/", timeout=10).text  # the root page does not link what is not there
        assert "/mockidp/console" not in home and "/.well-known/openid-configuration" in home
    finally:
        stop(process)


def test_an_open_control_plane_on_a_network_address_is_warned_about() -> None:
    process, _url = serve("--host", "0.0.0.0")
    stderr = stop(process)
    assert "THE CONTROL PLANE IS OPEN" in stderr
    assert "--control-token" in stderr


def test_no_warning_with_a_token_or_on_loopback() -> None:
    for args in (("--host", "0.0.0.0", "--control-token", TOKEN), ("--host", "127.0.0.1")):
        process, _url = serve(*args)
        stderr = stop(process)
        assert "CONTROL PLANE IS OPEN" not in stderr, args


def test_the_control_token_may_come_from_the_environment() -> None:
    env = {**os.environ, "MOCKIDP_CONTROL_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert requests.get(url + "/mockidp/v1/clock", timeout=10).status_code == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.get(url + "/mockidp/v1/clock", headers=headers, timeout=10).status_code == 200
    finally:
        stop(process)


def test_control_token_and_no_control_do_not_mix() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--control-token", "t", "--no-control"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
