"""The one place mutable domain state lives: issued codes, refresh tokens, revocations, sessions,
clock settings, and whatever later features add.

Values are JSON-compatible dicts so that a shared store (e.g. Redis) can replace `MemoryStore` and let
several workers act as one domain. Expiry is decided by the core against the domain `Clock` (which tests
can move), so the store itself knows nothing about time.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

Record = dict[str, Any]


class Store(Protocol):
    def get(self, namespace: str, key: str) -> Record | None: ...

    def put(self, namespace: str, key: str, value: Record) -> None: ...

    def take(self, namespace: str, key: str) -> Record | None:
        """Remove and return a record in one step (single-use codes)."""
        ...

    def delete(self, namespace: str, key: str) -> bool: ...

    def items(self, namespace: str) -> list[tuple[str, Record]]: ...

    def clear(self, namespace: str | None = None) -> None: ...


class MemoryStore:
    """In-process store; safe to use from the server thread and a test thread at once."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Record]] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str, key: str) -> Record | None:
        return self._data.get(namespace, {}).get(key)

    def put(self, namespace: str, key: str, value: Record) -> None:
        with self._lock:
            self._data.setdefault(namespace, {})[key] = value

    def take(self, namespace: str, key: str) -> Record | None:
        with self._lock:
            return self._data.get(namespace, {}).pop(key, None)

    def delete(self, namespace: str, key: str) -> bool:
        return self.take(namespace, key) is not None

    def items(self, namespace: str) -> list[tuple[str, Record]]:
        with self._lock:
            return list(self._data.get(namespace, {}).items())

    def clear(self, namespace: str | None = None) -> None:
        with self._lock:
            if namespace is None:
                self._data.clear()
            else:
                self._data.pop(namespace, None)
