"""The examples of README.md and docs/*.md run as written.

Every fenced block is taken from the Markdown and run by its language:
- `python` with a `def test_…`: a pytest file, run by pytest with mockidp's plugin (the `mockidp` fixture);
- other `python`: a script, run against a served instance;
- `sh`: run by bash against a served instance, with `curl` failing on an HTTP error (`--fail-with-body`), and
  `mockidp serve …` started for real (on a free port) until it prints its URL, then stopped; `make run` is the
  served instance itself;
- `toml`: a fixture file, loaded alone (it must be valid as written);
- no language: output or a listing, not run.
The served instance is `mockidp serve` on the shipped fixtures/default (reset before each block), and the
examples' `http://127.0.0.1:8000` / `localhost:8000` are rewritten to its port.

An HTML comment on the line before a block changes that:
- `<!-- docs-test: not-runnable <reason> -->` — the block is not run (the reason is required, e.g. it needs a
  container engine or files of yours);
- `<!-- docs-test: fixtures <dir> -->` — serve this fixture directory (relative to the repository) instead;
- `<!-- file: <path> -->` — the block is exactly that file of the repository, whatever its language (a toml one
  is loaded as fixtures; other files are run by their own tests, e.g. tests/test_docs_mcp_example.py, or by a
  tool, e.g. tools/compose-check);
- `<!-- docs-test: http-errors -->` — a shell block whose curl calls answer 4xx on purpose.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from mockidp.core.fixtures import load_fixtures

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
ANNOTATION = re.compile(r"^\s*<!-- (?:docs-test: (?P<kind>[\w-]+)|(?P<file>file):)(?: (?P<arg>.*?))? -->\s*$")
EXAMPLE_URLS = re.compile(r"https?://(127\.0\.0\.1|localhost):8000")
KINDS = {"not-runnable", "fixtures", "file", "http-errors"}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    code: str
    notes: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def is_pytest(self) -> bool:
        return self.lang == "python" and re.search(r"^def test_", self.code, re.M) is not None


def blocks() -> list[Block]:
    found = []
    for path in DOCS:
        lines = path.read_text().splitlines()
        index = 0
        while index < len(lines):
            opening = FENCE.match(lines[index])
            if not opening:
                index += 1
                continue
            indent, start = len(opening["indent"]), index
            index += 1
            body = []
            while index < len(lines) and lines[index].strip() != "```":
                body.append(lines[index][indent:])
                index += 1
            index += 1
            notes = {}
            back = start - 1
            while back >= 0 and (note := ANNOTATION.match(lines[back])):
                notes[note["kind"] or note["file"]] = note["arg"] or ""
                back -= 1
            found.append(Block(path, start + 1, opening["lang"], "\n".join(body) + "\n", notes))
    return found


BLOCKS = blocks()
RUNNABLE = [
    b for b in BLOCKS if (b.lang in ("python", "sh", "toml") or "file" in b.notes) and "not-runnable" not in b.notes
]


def test_every_annotation_is_known_and_every_skip_says_why() -> None:
    for block in BLOCKS:
        assert set(block.notes) <= KINDS, (block.id, block.notes)
        if "not-runnable" in block.notes:
            assert len(block.notes["not-runnable"]) > 10, f"{block.id}: say why it cannot run"
    assert len(RUNNABLE) > 25  # the parser still finds the examples


# ---------------------------------------------------------------------------------------------- a server


@dataclass
class Served:
    url: str
    process: subprocess.Popen


def _serve(fixtures: Path | None) -> Served:
    args = [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--log-level", "warning"]
    if fixtures is not None:
        args += ["--fixtures", str(fixtures)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        pytest.fail(f"mockidp serve did not start: {process.communicate(timeout=10)[1]}")
    return Served(url, process)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str | None, Served]]:
    """One served instance per fixture directory the examples use, started when first needed."""
    started: dict[str | None, Served] = {}
    yield started
    for served in started.values():
        served.process.terminate()
        served.process.communicate(timeout=15)


def served_for(block: Block, servers: dict[str | None, Served]) -> Served:
    key = block.notes.get("fixtures")
    if key not in servers:
        servers[key] = _serve(ROOT / key if key else None)
    served = servers[key]
    requests.post(f"{served.url}/mockidp/v1/reset", timeout=10).raise_for_status()
    return served


# ---------------------------------------------------------------------------------------------- shims

MOCKIDP_SHIM = '''#!{python}
"""`mockidp serve …` as a docs example writes it: start it for real on a free port, wait for its URL, stop it."""
import subprocess, sys
args = sys.argv[1:]
if args and not args[0].startswith("-") and args[0] != "serve":
    sys.exit(subprocess.call([sys.executable, "-m", "mockidp", *args]))
if args[:1] == ["serve"]:
    args = args[1:]
args = [a for i, a in enumerate(args) if a != "--port" and (i == 0 or args[i - 1] != "--port")]
process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", *args, "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
url = process.stdout.readline().strip()
process.terminate()
_, stderr = process.communicate(timeout=15)
if not url.startswith("http"):
    sys.exit(f"mockidp serve {{' '.join(args)}} did not start: {{stderr}}")
print(url)
'''
MAKE_SHIM = """#!/bin/sh
# `make run` in an example is the instance the test already serves; other targets are not examples.
[ "$1" = run ] && exit 0
echo "make $*: not runnable inside the docs test" >&2; exit 1
"""
CURL_SHIM = """#!/bin/sh
exec {curl} {fail} "$@"
"""


def shim_dir(tmp_path: Path, *, http_errors: bool) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    curl = subprocess.run(["sh", "-c", "command -v curl"], capture_output=True, text=True, check=False).stdout.strip()
    if not curl:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is missing; CI installs it (.ci/run)")
        pytest.skip("curl is missing (apt-get install curl)")
    shims = {
        "mockidp": MOCKIDP_SHIM.format(python=sys.executable),
        "make": MAKE_SHIM,
        "curl": CURL_SHIM.format(curl=curl, fail="" if http_errors else "--fail-with-body"),
        "python3": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n',
    }
    for name, text in shims.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def localized(code: str, url: str) -> str:
    return EXAMPLE_URLS.sub(url, code)


# ---------------------------------------------------------------------------------------------- the examples


@pytest.fixture(scope="module")
def example_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every pytest example, one file each, run by one pytest per fixture directory (with mockidp's plugin):
    the outcome of each block's tests."""
    groups: dict[str | None, list[tuple[Block, str]]] = {}
    for block in RUNNABLE:
        if block.is_pytest:
            name = f"test_{block.path.stem.replace('-', '_')}_{block.line}"
            groups.setdefault(block.notes.get("fixtures"), []).append((block, name))
    outcomes: dict[str, dict] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKIDP_", "PYTEST_"))}
    for fixtures, members in groups.items():
        directory = tmp_path_factory.mktemp("pytest-examples")
        for block, name in members:
            (directory / f"{name}.py").write_text(block.code)
        args = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--rootdir", str(directory)]
        if fixtures:
            args += ["--mockidp-fixtures", str(ROOT / fixtures)]
        result = subprocess.run(
            [*args, str(directory)], capture_output=True, text=True, timeout=300, cwd=directory, env=env, check=False
        )
        for block, name in members:
            outcomes[block.id] = {
                "passed": len(re.findall(rf"^PASSED {name}\.py::", result.stdout, re.M)),
                "failed": len(re.findall(rf"^(FAILED|ERROR) {name}\.py", result.stdout, re.M)),
                "output": result.stdout[-6000:] + result.stderr[-2000:],
            }
    return outcomes


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_the_example_runs_as_written(
    block: Block, servers: dict[str | None, Served], example_outcomes: dict[str, dict], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKIDP_", "PYTEST_"))}
    env["MOCKIDP_STATE_DIR"] = str(tmp_path / "state")  # --tls examples make their CA here, not in $HOME
    if "file" in block.notes and block.lang != "toml":
        assert (ROOT / block.notes["file"]).read_text() == block.code, f"{block.id} differs from its file"
        return
    if block.lang == "toml":
        if "file" in block.notes:
            assert (ROOT / block.notes["file"]).read_text() == block.code, f"{block.id} differs from its file"
            load_fixtures(ROOT / Path(block.notes["file"]).parent)
        else:
            (tmp_path / "fixture.toml").write_text(block.code)
            load_fixtures(tmp_path)
        return
    if block.is_pytest:
        outcome = example_outcomes[block.id]
        tests = len(re.findall(r"^def test_", block.code, re.M))
        assert outcome["passed"] == tests and not outcome["failed"], f"{block.id}:\n{outcome['output']}"
        return
    served = served_for(block, servers)
    code = localized(block.code, served.url)
    if block.lang == "python":
        command = [sys.executable, "-c", code]
    else:
        bin_dir = shim_dir(tmp_path, http_errors="http-errors" in block.notes)
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        command = ["bash", "-euo", "pipefail", "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT, env=env, check=False)
    assert result.returncode == 0, (
        f"{block.id} failed:\n{textwrap.indent(code, '  ')}\n{result.stdout}\n{result.stderr}"
    )


def test_the_readme_s_sample_log_line_is_the_real_one() -> None:
    """The Quick start shows the first line `mockidp` logs: the same, but for the port and the checkout's path."""
    sample = next(line for line in (ROOT / "README.md").read_text().splitlines() if "INFO: identity domain" in line)
    process = subprocess.Popen(
        [sys.executable, "-m", "mockidp", "--port", "0", "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    url = process.stdout.readline().strip()
    first = process.stderr.readline().strip()
    process.terminate()
    process.communicate(timeout=15)
    real = first.replace(str(ROOT / "fixtures"), "…/fixtures").replace(url, "http://127.0.0.1:8000")
    assert sample.removeprefix("# ").strip() == real


def test_fixtures_md_lists_every_shipped_client_and_user() -> None:
    text = (ROOT / "docs" / "fixtures.md").read_text()
    shipped = text[text.index("## The shipped `fixtures/default`") :]
    fixtures = load_fixtures(ROOT / "fixtures" / "default")
    for name in [*fixtures.clients, *fixtures.users]:
        assert f"`{name}`" in shipped, f"docs/fixtures.md does not list the shipped {name}"
