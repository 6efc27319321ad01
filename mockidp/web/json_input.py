"""Strict reading of JSON request bodies (the control plane's): what Python's `json` would accept but nothing
downstream can use is refused here, with a sentence saying what to fix, instead of failing later.

Refused: bytes that are not UTF-8; NaN and Infinity (not JSON, and no JSON answer can carry them back);
integers outside ±2^63 and floats too large to be finite (no clock, count or claim needs them, and huge ones
overflow every time conversion); a key twice in one object (RFC 8259 leaves it undefined; silently keeping
the last one hides mistakes); nesting deeper than `MAX_DEPTH`; lone surrogate escapes (`"\\ud800"`), which
no UTF-8 answer or token can carry.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_INT = 2**63
_MAX_INT_CHARS = len(str(MAX_INT)) + 1  # a sign, then the digits of 2^63
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonInputError(ValueError):
    """The body cannot be used; the message is a sentence for the client."""


def parse(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonInputError(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        value = json.loads(
            text,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"The body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise JsonInputError(f"The body nests arrays or objects more than {MAX_DEPTH} deep.") from None
    _check_depth(value)
    return value


def _integer(text: str) -> int:
    if len(text) > _MAX_INT_CHARS or not -MAX_INT <= int(text) <= MAX_INT:
        shown = text if len(text) <= 30 else f"{text[:12]}…({len(text)} digits)"
        raise JsonInputError(f"The number {shown} is out of range; integers must be within ±2^63.")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError(f"The number {text[:30]} is too large.")
    return value


def _constant(text: str) -> Any:
    raise JsonInputError(f"{text} is not JSON; send a number or a string.")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonInputError(f"The key {key!r} appears twice in one object; send each key once.")
        result[key] = value
    return result


def _check_depth(value: Any) -> None:
    """Depth and strings, iteratively, so that a deep value cannot exhaust the stack here either."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise JsonInputError(f"The body nests arrays or objects more than {MAX_DEPTH} deep.")
        if isinstance(item, dict):
            for key in item:
                _check_text(key)
        pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


def _check_text(text: str) -> None:
    if _SURROGATE.search(text):
        raise JsonInputError(
            "A string has a lone UTF-16 surrogate escape (\\ud800 to \\udfff), which is no character; "
            "escape characters outside the BMP as a surrogate pair."
        )
