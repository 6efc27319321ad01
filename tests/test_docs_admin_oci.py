"""docs/admin-api-oci.md runs as written: every `bash` and `python` block, in order, from a directory laid out
like the repository root, against a mockidp of its own on the shipped fixtures (its URL in place of
127.0.0.1:8000). The OCI CLI, curl and openssl are the real ones."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockidp.testing import MockIdP, default_fixtures
from tests.oci_support import oci_cli_executable

DOC = Path(__file__).resolve().parent.parent / "docs" / "admin-api-oci.md"
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```$", re.M | re.S)


def _blocks() -> list[tuple[str, str]]:
    return [(match.group(1), match.group(2)) for match in BLOCK.finditer(DOC.read_text())]


def _need(tool: str) -> str:
    found = shutil.which(tool, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is needed to run the examples of {DOC.name} (CI installs it)")
        pytest.skip(f"{tool} is not installed")
    return found


def test_the_page_has_examples():
    kinds = [kind for kind, _ in _blocks()]
    assert kinds.count("bash") >= 4
    assert kinds.count("python") >= 3


def test_every_example_runs_as_written(tmp_path):
    for tool in ("curl", "openssl", "bash"):
        _need(tool)
    oci_bin = Path(oci_cli_executable()).parent  # the examples call `oci` from PATH
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "default").symlink_to(default_fixtures(), target_is_directory=True)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(oci_bin), os.environ.get("PATH", "")]),
        "HOME": str(tmp_path),  # nothing of the machine's own ~/.oci
    }
    outputs = []
    with MockIdP() as idp:
        host = idp.url.split("://", 1)[1]
        for index, (kind, code) in enumerate(_blocks()):
            code = code.replace("127.0.0.1:8000", host)
            command = ["bash", "-euo", "pipefail", "-c", code] if kind == "bash" else [sys.executable, "-c", code]
            result = subprocess.run(
                command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False
            )
            assert result.returncode == 0, f"block {index} ({kind}) failed:\n{code}\n--- stderr:\n{result.stderr}"
            outputs.append(result.stdout)
    everything = "\n".join(outputs)
    assert "erin@example.com ocid1.user.oc1..aaaaaaaainrzgesiwyxdc5xa25jknumdjye7xrtafxlxoqden4tui2epb7va" in everything
    assert "81:de:64:01:4f:08:43:8d:c7:fe:63:c3:29:65:86:18 erin@example.com" in everything
    assert "after delete: 401" in everything
    curl_signed = outputs[-1]
    assert '"userName":"erin@example.com"' in curl_signed.replace(" ", "")
