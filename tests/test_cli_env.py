"""`mockidp serve` settings from the environment (MOCKIDP_FIXTURES, MOCKIDP_LOG_LEVEL), and the control plane's
actions in the log."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import requests

TENANT = "idcs-e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0"


def serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOCKIDP_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, **env},
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    return process.communicate(timeout=15)[1]


def test_fixtures_and_log_level_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "domain.toml").write_text(textwrap.dedent(f'[domain]\ntenant = "{TENANT}"\n'))
    process, url = serve({"MOCKIDP_FIXTURES": str(tmp_path), "MOCKIDP_LOG_LEVEL": "WARNING"})
    try:
        assert requests.get(f"{url}/mockidp/v1/domain", timeout=10).json()["tenant"] == TENANT
    finally:
        stderr = stop(process)
    assert "INFO" not in stderr


def test_a_flag_beats_the_environment(tmp_path: Path) -> None:
    process, url = serve(
        {"MOCKIDP_FIXTURES": str(tmp_path / "missing"), "MOCKIDP_LOG_LEVEL": "error"},
        "--fixtures",
        str(Path(__file__).parent.parent / "fixtures" / "default"),
        "--log-level",
        "info",
    )
    try:
        assert requests.get(f"{url}/mockidp/v1/domain", timeout=10).json()["tenant"].startswith("idcs-c87b")
        requests.post(f"{url}/mockidp/v1/clock", json={"action": "advance", "seconds": 60}, timeout=10)
        requests.get(f"{url}/mockidp/v1/clock", timeout=10)
    finally:
        stderr = stop(process)
    assert "INFO: control: POST /mockidp/v1/clock -> 200" in stderr  # a change is logged at info
    assert "GET /mockidp/v1/clock" not in stderr  # a read is not


def test_a_bad_log_level_in_the_environment_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "MOCKIDP_LOG_LEVEL": "chatty"},
        check=False,
    )
    assert result.returncode == 2
    assert "MOCKIDP_LOG_LEVEL='chatty': use one of critical, error, warning, info, debug" in result.stderr
