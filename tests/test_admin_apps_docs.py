"""docs/admin-api-apps.md's worked example runs as written (it asserts its own outcomes)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "admin-api-apps.md"


def test_the_worked_example_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, "the doc has one Python example"
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "docs_example"})  # the doc is ours: run it
