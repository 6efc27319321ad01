"""The one place mutable domain state lives: issued codes, refresh tokens, revocations, sessions, faults, the
journal, clock settings, run-time entries, and whatever later features add.

The contract (a shared store such as Redis implements the same, one command or script per method):
- Values are JSON-compatible dicts, so they can cross processes.
- Every record may carry an expiry, `expires_at`, an instant on the *domain clock* (the one tests move). A record
  past it is never returned again and its memory is given back; so a long run stays flat. The store is told
  the domain clock with `bind_clock` (records without expiry never ask it, which is how the clock's own
  record can live here too).
- `take`, `add`, `update` and `incr` are atomic: a code is taken by one request only, a refresh token rotated
  once, a fault's hits counted exactly, a key ring changed by one rotation at a time. `update`'s `change` may run
  more than once (an optimistic store retries it when another writer came first), so it must not have side effects.
- `clear()` drops every namespace but the ones in `DURABLE` (what must outlive a reset: the key serial, so that
  a kid never names two keys in a domain's life).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Record = dict[str, Any]
Change = Callable[[Record | None], Record | None]

# Namespaces a reset keeps (see `clear`); DURABLE_NS is the one for counters that must never repeat.
DURABLE_NS = "durable"
DURABLE = frozenset({DURABLE_NS})
# How long a record of something that expired is kept past that expiry, so a late client is told "expired"
# (or "already used") rather than "never heard of it" [choice].
GRACE = 600.0
APPEND_COUNTER = ""  # the counter key `append` numbers a namespace's records with


def number_key(number: int) -> str:
    """The key `append` stores record `number` under: zero-padded, so keys sort as numbers do."""
    return f"{number:012d}"


class Store(Protocol):
    def bind_clock(self, now: Callable[[], float]) -> None:
        """The domain clock that `expires_at` values are instants of."""
        ...

    def get(self, namespace: str, key: str) -> Record | None: ...

    def put(self, namespace: str, key: str, value: Record, *, expires_at: float | None = None) -> None: ...

    def add(self, namespace: str, key: str, value: Record, *, expires_at: float | None = None) -> bool:
        """Store a record only if there is none under the key (or only an expired one); True if stored."""
        ...

    def take(self, namespace: str, key: str) -> Record | None:
        """Remove and return a record in one step (single-use codes and tokens)."""
        ...

    def update(self, namespace: str, key: str, change: Change, *, expires_at: float | None = None) -> Record | None:
        """Atomically replace a record by `change(current)` (current is None when absent); a None result deletes
        it. Returns the new record. `expires_at` None keeps the record's expiry as it was."""
        ...

    def incr(self, namespace: str, key: str, amount: int = 1) -> int:
        """Add to a counter (starting at 0) and return the new value."""
        ...

    def append(self, namespace: str, value: Record, *, limit: int) -> None:
        """Add a record to the namespace's log under its next number (1, 2, … ; a cleared namespace starts again at
        1) and drop the one `limit` numbers before it, in one step. A bounded log such as the journal: one store
        call per entry, which a shared store may send without waiting for its answer (so it returns nothing);
        every read after it sees it. Read the log with `items` (keys `number_key(n)`); `clear` drops it."""
        ...

    def delete(self, namespace: str, key: str) -> bool: ...

    def items(self, namespace: str) -> list[tuple[str, Record]]: ...

    def count(self, namespace: str) -> int: ...

    def clear(self, namespace: str | None = None) -> None: ...
