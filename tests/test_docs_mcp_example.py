"""docs/mcp.md's worked example, run as written (only its two port numbers changed to free ones, since other
servers may hold 8000/8001): `mockidp serve` on the example's fixtures, the example MCP server, the example agent;
and the example's pytest file with the pytest plugin."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "mcp"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_example(tmp_path: Path) -> tuple[Path, int, int]:
    idp_port, mcp_port = free_port(), free_port()
    target = tmp_path / "mcp"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for path in target.rglob("*"):
        if path.suffix in (".py", ".toml"):
            text = path.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{idp_port}")
            path.write_text(
                text.replace("127.0.0.1:8001", f"127.0.0.1:{mcp_port}").replace("port=8001", f"port={mcp_port}")
            )
    return target, idp_port, mcp_port


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@contextmanager
def running(command: list[str], cwd: Path, port: int) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        process.wait(10)


def test_the_worked_example_runs(tmp_path: Path):
    folder, idp_port, mcp_port = copy_example(tmp_path)
    serve = [str(BIN / "mockidp"), "serve", "--fixtures", "fixtures", "--port", str(idp_port)]
    with (
        running([*serve, "--auto-login", "dana@example.com"], folder, idp_port),
        running([sys.executable, "server.py"], folder, mcp_port),
    ):
        env = {**os.environ, "IDENTITY_DOMAIN": f"http://127.0.0.1:{idp_port}"}
        agent = subprocess.run(
            [sys.executable, "client.py"], cwd=folder, capture_output=True, text=True, timeout=60, env=env
        )
    assert agent.returncode == 0, agent.stderr
    assert agent.stdout.strip() == "dana@example.com: 42.00 EUR (client https://agent.example.com/oauth/client.json)"


def test_the_pytest_example_runs(tmp_path: Path):
    folder, _, _ = copy_example(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_ledger.py",
            "--mockidp-fixtures",
            "fixtures",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_doc_shows_the_example_files_exactly():
    """docs/mcp.md inlines the example's files; each block must be the file as it is, so pasting works."""
    import re

    doc = (EXAMPLE.parent.parent / "mcp.md").read_text()
    blocks = re.findall(r"<!-- file: docs/examples/mcp/(\S+) -->\n```\w+\n(.*?)```\n", doc, flags=re.S)
    assert {name for name, _ in blocks} == {
        "fixtures/domain.toml",
        "fixtures/cimd/agent.json",
        "server.py",
        "client.py",
        "test_ledger.py",
    }
    for name, text in blocks:
        assert text == (EXAMPLE / name).read_text(), f"docs/mcp.md's copy of {name} differs from the file"
