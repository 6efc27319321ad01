"""Where a server keeps its identity domains' mutable state: `memory` (one process, the default) or a shared
Redis (`redis://HOST:PORT/DB`), so that several processes — `--workers N`, replicas behind a load balancer — are
one identity domain.

A `Backend` is opened once per server from the `--store` URL and hands each domain a `Store` of its own (one key
prefix per tenant in Redis). It also says whether it is reachable (`GET /mockidp/health`) and lets processes that
start together agree on a value none of them has yet (`adopt`: the signing key of a fixture directory without
one). The Redis client is imported only when a `redis://` URL asks for it.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

from mockidp.core.stores.contract import Store
from mockidp.core.stores.memory import MemoryStore

MEMORY = "memory"
REDIS_SCHEMES = ("redis", "rediss", "unix")


class StoreUnavailable(Exception):
    """The shared store cannot be reached (or answered with an error): the request gets a 503, and service resumes
    by itself once the store is back."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Backend(Protocol):
    kind: str  # "memory" or "redis"
    shared: bool  # True when other processes see the same state

    def store_for(self, tenant: str) -> Store:
        """The store of one identity domain."""
        ...

    def adopt(self, name: str, value: str) -> str:
        """The value stored under `name` by whichever process offered one first (this one's, if first)."""
        ...

    def health(self) -> dict[str, Any]:
        """`{"kind", "status": "ok" | "down", "reason"?}`, with no secrets in it."""
        ...

    def after_fork(self) -> None:
        """Called in a new worker process: drop connections inherited from the parent."""
        ...

    def close(self) -> None: ...


class MemoryBackend:
    """Each domain's state in its own `MemoryStore`, in this process only."""

    kind = MEMORY
    shared = False

    def store_for(self, tenant: str) -> Store:
        return MemoryStore()

    def adopt(self, name: str, value: str) -> str:
        return value

    def health(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": "ok"}

    def after_fork(self) -> None:
        pass

    def close(self) -> None:
        pass


def check_store_url(value: str) -> str:
    """`memory` or a Redis URL; raises ValueError saying what a good value looks like."""
    if value == MEMORY:
        return value
    parts = urlsplit(value)
    if parts.scheme not in REDIS_SCHEMES or (parts.scheme != "unix" and not parts.hostname):
        raise ValueError(f"must be {MEMORY} or a Redis URL such as redis://127.0.0.1:6379/0, got {value!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"the port in {value!r} is not a number from 0 to 65535") from None
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        raise ValueError(f"the database in {value!r} must be a number, as in redis://127.0.0.1:6379/0")
    return value


def open_backend(url: str) -> Backend:
    """The backend a `--store` value names; raises StoreUnavailable when Redis cannot be reached (or its client is
    not installed), ValueError for a malformed URL."""
    check_store_url(url)
    if url == MEMORY:
        return MemoryBackend()
    try:
        from mockidp.core.stores.redis import RedisBackend
    except ImportError as exc:
        raise StoreUnavailable(
            f"--store {describe_url(url)} needs the redis client ({exc.name or exc} is missing): "
            "pip install 'mockidp[redis]'"
        ) from None
    return RedisBackend(url)


def describe_url(url: str) -> str:
    """A store URL fit for a log line or the health document: any password left out."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return parts._replace(netloc=netloc).geturl()
