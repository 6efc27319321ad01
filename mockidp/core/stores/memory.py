"""`MemoryStore`: the store contract (`mockidp.core.stores.contract`) kept in this process's memory — the default,
for one process. Several processes share state through the Redis store (`mockidp.core.stores.redis`)."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from mockidp.core.stores.contract import APPEND_COUNTER, DURABLE, Change, Record, number_key


class MemoryStore:
    """In-process store; safe to use from the server thread and a test thread at once.

    Expired records are dropped when read, and by a sweep on every write that pops a heap of expiries: its cost is
    the number of records it drops, so memory follows the live records whatever the clock does.
    """

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Record]] = {}
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, str, str]] = []
        self._counters: dict[tuple[str, str], int] = {}
        self._lock = threading.RLock()
        self._now: Callable[[], float] = time.time

    def bind_clock(self, now: Callable[[], float]) -> None:
        self._now = now

    # -- reading -------------------------------------------------------------------------------------------

    def get(self, namespace: str, key: str) -> Record | None:
        value = self._data.get(namespace, {}).get(key)
        if value is None:
            return None
        expires_at = self._expiry.get((namespace, key))
        if expires_at is not None and expires_at <= self._now():
            with self._lock:
                self._drop_if_expired(namespace, key)
            return None
        return value

    def items(self, namespace: str) -> list[tuple[str, Record]]:
        with self._lock:
            records = self._data.get(namespace)
            if not records:
                return []
            now = self._now() if self._expiry else 0.0
            return [
                (key, value)
                for key, value in records.items()
                if (expires_at := self._expiry.get((namespace, key))) is None or expires_at > now
            ]

    def count(self, namespace: str) -> int:
        return len(self.items(namespace))

    def held(self, namespace: str) -> int:
        """Records kept in memory in a namespace, expired ones not yet swept included (what a soak test watches)."""
        return len(self._data.get(namespace, {}))

    # -- writing -------------------------------------------------------------------------------------------

    def put(self, namespace: str, key: str, value: Record, *, expires_at: float | None = None) -> None:
        with self._lock:
            self._set(namespace, key, value, expires_at)

    def add(self, namespace: str, key: str, value: Record, *, expires_at: float | None = None) -> bool:
        with self._lock:
            if self.get(namespace, key) is not None:
                return False
            self._set(namespace, key, value, expires_at)
            return True

    def take(self, namespace: str, key: str) -> Record | None:
        with self._lock:
            value = self.get(namespace, key)
            if value is not None:
                self._remove(namespace, key)
            return value

    def update(self, namespace: str, key: str, change: Change, *, expires_at: float | None = None) -> Record | None:
        with self._lock:
            current = self.get(namespace, key)
            new = change(current)
            if new is None:
                if current is not None:
                    self._remove(namespace, key)
                return None
            if expires_at is None and current is not None:
                expires_at = self._expiry.get((namespace, key))
            self._set(namespace, key, new, expires_at)
            return new

    def incr(self, namespace: str, key: str, amount: int = 1) -> int:
        with self._lock:
            value = self._counters.get((namespace, key), 0) + amount
            self._counters[(namespace, key)] = value
            return value

    def append(self, namespace: str, value: Record, *, limit: int) -> None:
        with self._lock:
            number = self.incr(namespace, APPEND_COUNTER)
            self._set(namespace, number_key(number), value, None)
            if number > limit:
                self._remove(namespace, number_key(number - limit))

    def delete(self, namespace: str, key: str) -> bool:
        with self._lock:
            found = self.get(namespace, key) is not None
            self._remove(namespace, key)
            self._counters.pop((namespace, key), None)
            return found

    def clear(self, namespace: str | None = None) -> None:
        with self._lock:
            names = [namespace] if namespace is not None else [n for n in self._data if n not in DURABLE]
            for name in names:
                for key in self._data.pop(name, {}):
                    self._expiry.pop((name, key), None)
            doomed = [
                pair
                for pair in self._counters
                if (pair[0] == namespace if namespace is not None else pair[0] not in DURABLE)
            ]
            for pair in doomed:
                del self._counters[pair]
            self._heap = [item for item in self._heap if (item[1], item[2]) in self._expiry]
            heapq.heapify(self._heap)

    # -- inside (the lock is held) -------------------------------------------------------------------------

    def _set(self, namespace: str, key: str, value: Record, expires_at: float | None) -> None:
        self._data.setdefault(namespace, {})[key] = value
        if expires_at is None:
            self._expiry.pop((namespace, key), None)
        elif self._expiry.get((namespace, key)) != expires_at:  # an update keeping its expiry needs no new entry
            self._expiry[(namespace, key)] = expires_at
            heapq.heappush(self._heap, (expires_at, namespace, key))
        if self._heap and self._heap[0][0] <= self._now():
            self._sweep()

    def _remove(self, namespace: str, key: str) -> None:
        records = self._data.get(namespace)
        if records is not None:
            records.pop(key, None)
            if not records:
                del self._data[namespace]
        self._expiry.pop((namespace, key), None)

    def _drop_if_expired(self, namespace: str, key: str) -> None:
        expires_at = self._expiry.get((namespace, key))
        if expires_at is not None and expires_at <= self._now():
            self._remove(namespace, key)

    def _sweep(self) -> None:
        """Drop every record past its expiry. Heap entries whose record was rewritten or removed are skipped."""
        now = self._now()
        heap = self._heap
        while heap and heap[0][0] <= now:
            expires_at, namespace, key = heapq.heappop(heap)
            if self._expiry.get((namespace, key)) == expires_at:
                self._remove(namespace, key)
        if len(heap) > 2 * len(self._expiry) + 1024:  # many stale entries (records rewritten): rebuild
            self._heap = [(at, ns, key) for (ns, key), at in self._expiry.items()]
            heapq.heapify(self._heap)
