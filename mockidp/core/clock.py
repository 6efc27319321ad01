"""The domain's only source of "now". Tests can move it (advance, set, freeze); it drives token
`iat`/`exp`, and every expiry check (tokens, codes, refresh tokens, sessions)."""

from __future__ import annotations

import datetime
import math
import time

from mockidp.core.stores.contract import Store

_NS = "clock"
_KEY = "state"


class Clock:
    def __init__(self, store: Store) -> None:
        self._store = store

    def now(self) -> float:
        state = self._store.get(_NS, _KEY)
        if state is None:
            return time.time()
        base = state["frozen_at"] if state.get("frozen_at") is not None else time.time()
        return base + state.get("offset", 0.0)

    def state(self) -> dict:
        """What the clock is doing: the current instant, the offset from real time, frozen or not. A running
        clock's offset is exactly what was asked for (`advance(3600)`: 3600.0, not now minus a second reading of
        the time); a frozen clock drifts from real time, to the millisecond."""
        stored = self._store.get(_NS, _KEY) or {}
        real = time.time()
        if stored.get("frozen_at") is not None:
            now = stored["frozen_at"] + stored.get("offset", 0.0)
            return {"now": now, "offset": round(now - real, 3), "frozen": True}
        offset = stored.get("offset", 0.0)
        return {"now": real + offset, "offset": offset, "frozen": False}

    def advance(self, seconds: float) -> None:
        state = dict(self._store.get(_NS, _KEY) or {})
        state["offset"] = state.get("offset", 0.0) + seconds
        self._store.put(_NS, _KEY, state)

    def set(self, instant: float) -> None:
        state = dict(self._store.get(_NS, _KEY) or {})
        base = state["frozen_at"] if state.get("frozen_at") is not None else time.time()
        state["offset"] = instant - base
        self._store.put(_NS, _KEY, state)

    def freeze(self, at: float | None = None) -> None:
        """Stop the clock now, or at an instant."""
        self._store.put(_NS, _KEY, {"frozen_at": self.now() if at is None else at, "offset": 0.0})

    def unfreeze(self) -> None:
        """Let time run again from where it stands now."""
        now = self.now()
        self._store.put(_NS, _KEY, {"offset": now - time.time()})

    def reset(self) -> None:
        self._store.delete(_NS, _KEY)


def iso(instant: float) -> str:
    """An instant as ISO 8601 UTC for messages; any number, even one no date can hold (a token's `exp` is
    whatever its signer put there), so that a message never fails."""
    try:
        return datetime.datetime.fromtimestamp(instant, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"Unix time {instant:g}" if isinstance(instant, float) else f"Unix time {instant}"


def is_instant(value: object) -> bool:
    """A JSON number usable as Unix seconds: not a boolean, finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
