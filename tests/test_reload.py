"""Reloading fixtures without a restart: `POST /mockidp/v1/reload` (and `idp.reload()`), SIGHUP, and
`mockidp serve --reload` watching the directory. A bad edit keeps the old fixtures and reports every problem."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from mockidp.testing import ControlPlaneError, MockIdP

ROOT = Path(__file__).resolve().parent.parent
CAROL = '\n[[users]]\nuser_name = "carol@example.com"\npassword = "Welcome1!"\nname = "Carol"\n'


def copy_of_default(tmp_path: Path) -> Path:
    directory = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures" / "default", directory)
    return directory


def users(url: str) -> list[str]:
    return [u["user_name"] for u in requests.get(f"{url}/mockidp/v1/users", timeout=10).json()["users"]]


def password_grant(url: str, user: str) -> int:
    return requests.post(
        f"{url}/oauth2/v1/token",
        auth=("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293"),
        data={"grant_type": "password", "username": user, "password": "Welcome1!", "scope": "openid"},
        timeout=10,
    ).status_code


def test_reload_over_the_control_plane_keeps_state_and_refuses_a_bad_edit(tmp_path: Path) -> None:
    directory = copy_of_default(tmp_path)
    with MockIdP(directory) as idp:
        assert password_grant(idp.url, "carol@example.com") == 400
        idp.clock.advance(60)
        with (directory / "users.toml").open("a") as users_file:
            users_file.write(CAROL)
        answer = idp.reload()
        assert answer["users"] == 4 and answer["tenant"] == "idcs-c87b18d47f4b46798f61e82aaf3154c0"
        assert password_grant(idp.url, "carol@example.com") == 200  # the new user signs in at once
        assert idp.clock.state()["offset"] == 60.0  # state stays
        assert idp.requests("token")[0].status == 400

        (directory / "users.toml").write_text((directory / "users.toml").read_text() + "\n[[users]]\nuser_nam = 1\n")
        with pytest.raises(ControlPlaneError) as refused:
            idp.reload()
        assert refused.value.status == 409
        assert "the previous fixtures are still served" in refused.value.description
        assert any("users[4].user_nam" in problem for problem in refused.value.problems), refused.value.problems
        assert password_grant(idp.url, "carol@example.com") == 200  # the old fixtures still served

        domain_toml = (directory / "domain.toml").read_text()
        (directory / "domain.toml").write_text(
            domain_toml.replace("idcs-c87b18d47f4b46798f61e82aaf3154c0", "idcs-" + "f" * 32)
        )
        (directory / "users.toml").write_text((ROOT / "fixtures" / "default" / "users.toml").read_text())
        with pytest.raises(ControlPlaneError) as tenant:
            idp.reload()
        assert "restart to change it" in tenant.value.description


def serve(directory: Path, *args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--fixtures", str(directory), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MOCKIDP_")},
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def eventually(check, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is a POSIX signal")
def test_sighup_reloads(tmp_path: Path) -> None:
    directory = copy_of_default(tmp_path)
    process, url = serve(directory)
    try:
        with (directory / "users.toml").open("a") as users_file:
            users_file.write(CAROL)
        time.sleep(1.5)
        assert "carol@example.com" not in users(url)  # no --reload: nothing watches
        process.send_signal(signal.SIGHUP)
        assert eventually(lambda: "carol@example.com" in users(url))
    finally:
        process.terminate()
        stderr = process.communicate(timeout=15)[1]
    assert "reloaded the fixtures of idcs-c87b18d47f4b46798f61e82aaf3154c0" in stderr


def test_reload_flag_watches_the_directory(tmp_path: Path) -> None:
    directory = copy_of_default(tmp_path)
    process, url = serve(directory, "--reload")
    try:
        with (directory / "users.toml").open("a") as users_file:
            users_file.write(CAROL)
        assert eventually(lambda: "carol@example.com" in users(url))
        (directory / "clients.toml").write_text("[[clients]]\nclient_id = 3\n")  # a bad edit
        time.sleep(2.5)
        assert password_grant(url, "carol@example.com") == 200  # still the previous fixtures
    finally:
        process.terminate()
        stderr = process.communicate(timeout=15)[1]
    assert "still serving the previous ones" in stderr and "clients[0].client_id" in stderr
