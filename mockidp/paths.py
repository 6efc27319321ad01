"""Where mockidp finds what it ships."""

from __future__ import annotations

from pathlib import Path


def default_fixtures() -> Path:
    """The shipped `fixtures/default`: inside the installed package, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "_default_fixtures"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "fixtures" / "default"
