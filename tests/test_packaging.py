"""`pip install .` then `mockidp`: build the real wheel, install it into a fresh venv outside the source tree,
and run the installed command on the default fixtures packaged inside the wheel."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jwt
import pytest
import requests

from tests.conftest import ORDERS, SEED_CLIENT_ID, SEED_CLIENT_SECRET, TENANT

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_FILES = sorted(p.name for p in (ROOT / "mockidp" / "web" / "console").iterdir() if p.is_file())
DEFAULT_FIXTURES = sorted(p.name for p in (ROOT / "fixtures" / "default").iterdir() if p.is_file())


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", out, ROOT, cwd=out
    )
    (built,) = out.glob("mockidp-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with only the wheel and its declared dependencies: a missing dependency fails here."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv)
    python = venv / "bin" / "python"
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--disable-pip-version-check", wheel, cwd=venv
    )
    return venv


def test_wheel_ships_the_default_fixtures(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packaged = sorted(n.removeprefix("mockidp/_default_fixtures/") for n in names if "/_default_fixtures/" in n)
    assert packaged == DEFAULT_FIXTURES
    assert "mockidp/cli.py" in names
    console = sorted(n for n in names if n.startswith("mockidp/web/console/"))
    assert console == [f"mockidp/web/console/{f}" for f in CONSOLE_FILES]
    assert not [n for n in names if n.startswith(("tests/", "bench/", "fixtures/"))]


def test_installed_command_checks_the_packaged_fixtures(installed: Path) -> None:
    # Run from the venv, not the checkout, so nothing can be imported from the source tree.
    where = run(
        installed / "bin" / "python",
        "-c",
        "from mockidp.paths import default_fixtures; print(default_fixtures())",
        cwd=installed,
    ).stdout.strip()
    packaged = Path(where)
    assert packaged.is_relative_to(installed) and packaged.name == "_default_fixtures"
    result = run(installed / "bin" / "mockidp", "check", packaged, cwd=installed)
    assert result.stdout.strip() == f"{packaged}: fixtures are valid"


def test_installed_command_serves_tokens(installed: Path) -> None:
    # `mockidp` with only a flag is `mockidp serve` on the packaged default fixtures.
    server = subprocess.Popen(
        [installed / "bin" / "mockidp", "--port", "0", "--log-level", "info"],
        cwd=installed,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    try:
        url = _ready_line(server)
        assert url.startswith("http://127.0.0.1:")
        discovery = requests.get(f"{url}/.well-known/openid-configuration", timeout=10)
        assert discovery.status_code == 200
        response = requests.post(
            discovery.json()["token_endpoint"],
            data={"grant_type": "client_credentials", "scope": f"{ORDERS}read"},
            auth=(SEED_CLIENT_ID, SEED_CLIENT_SECRET),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        signing_key = jwt.PyJWKClient(discovery.json()["jwks_uri"]).get_signing_key_from_jwt(
            response.json()["access_token"]
        )
        claims = jwt.decode(
            response.json()["access_token"],
            signing_key.key,
            algorithms=["RS256"],
            audience=ORDERS,
            issuer=discovery.json()["issuer"],
        )
        assert (claims["sub"], claims["tenant"], claims["scope"]) == (SEED_CLIENT_ID, TENANT, "read")
        for path in ("/mockidp/console", "/mockidp/console/static/console.js", "/mockidp/console/static/console.css"):
            assert requests.get(url + path, timeout=10).status_code == 200, path  # served from the wheel
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert "Finished server process" in stderr
    assert "Traceback" not in stderr


def _ready_line(process: subprocess.Popen[str], wait: float = 60) -> str:
    """The first line the server prints (its URL), or a failure with what it said on stderr."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.1):
                return process.stdout.readline().strip()
    process.kill()
    _, stderr = process.communicate()
    pytest.fail(f"the installed mockidp printed no ready line (exit {process.returncode}):\n{stderr}")
