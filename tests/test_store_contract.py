"""The store contract (mockidp/core/stores/contract.py) that every store implements: expiry on the domain clock, atomic
take/add/update/incr, a reset that keeps the durable namespaces. Add a store to STORES to hold it to the same
(the Redis store runs on the tests' own redis-server: tests/redis_support.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from conftest import ORDERS
from redis_support import redis_server, redis_url  # noqa: F401 - fixtures of the Redis store

from mockidp.core.stores.contract import DURABLE_NS, Store
from mockidp.core.stores.memory import MemoryStore
from mockidp.testing import MockIdP
from tests.helpers import password_tokens


def _redis_store(request: pytest.FixtureRequest) -> Store:
    from mockidp.core.stores.redis import RedisBackend

    backend = RedisBackend(request.getfixturevalue("redis_url"))
    request.addfinalizer(backend.close)
    return backend.store_for("idcs-contract")


STORES: dict[str, Callable[[pytest.FixtureRequest], Store]] = {
    "memory": lambda request: MemoryStore(),
    "redis": _redis_store,
}


class FakeClock:
    """The domain clock as a test moves it (the store is only ever handed a `now` function)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest) -> Iterator[tuple[Store, FakeClock]]:
    made = STORES[request.param](request)
    clock = FakeClock()
    made.bind_clock(clock)
    made.clear()
    yield made, clock
    made.clear()


def test_a_record_past_its_expiry_is_gone_from_every_read(store: tuple[Store, FakeClock]) -> None:
    s, clock = store
    s.put("codes", "a", {"v": 1}, expires_at=clock.now + 10)
    s.put("codes", "b", {"v": 2})
    assert s.get("codes", "a") == {"v": 1}
    clock.now += 10
    assert s.get("codes", "a") is None
    assert s.items("codes") == [("b", {"v": 2})]
    assert s.count("codes") == 1
    assert s.take("codes", "a") is None
    assert s.add("codes", "a", {"v": 3})  # an expired record does not block a new one
    assert s.get("codes", "a") == {"v": 3}


def test_take_add_update_incr(store: tuple[Store, FakeClock]) -> None:
    s, clock = store
    assert s.add("n", "k", {"v": 1}, expires_at=clock.now + 5)
    assert not s.add("n", "k", {"v": 2})
    assert s.update("n", "k", lambda current: {"v": current["v"] + 1}) == {"v": 2}
    clock.now += 5  # update kept the expiry
    assert s.get("n", "k") is None
    assert s.update("n", "k", lambda current: None if current is None else current) is None
    s.put("n", "k", {"v": 1})
    assert s.update("n", "k", lambda current: None) is None
    assert s.get("n", "k") is None
    assert s.take("n", "missing") is None
    s.put("n", "k", {"v": 1})
    assert s.take("n", "k") == {"v": 1}
    assert s.take("n", "k") is None
    assert [s.incr("c", "x"), s.incr("c", "x"), s.incr("c", "x", 5)] == [1, 2, 7]


def test_a_reset_keeps_the_durable_namespace(store: tuple[Store, FakeClock]) -> None:
    s, _ = store
    s.incr(DURABLE_NS, "serial")
    s.incr("counters", "fault")
    s.put("codes", "a", {})
    s.clear()
    assert s.get("codes", "a") is None
    assert s.incr("counters", "fault") == 1
    assert s.incr(DURABLE_NS, "serial") == 2


def test_atomic_operations_from_many_threads(store: tuple[Store, FakeClock]) -> None:
    s, _ = store
    s.put("n", "code", {"v": 0})
    s.put("n", "counted", {"hits": 0})
    barrier = threading.Barrier(16)
    taken, added = [], []

    def work() -> None:
        barrier.wait(timeout=10)
        taken.append(s.take("n", "code"))
        added.append(s.add("n", "unique", {}))
        for _ in range(50):
            s.update("n", "counted", lambda current: {"hits": current["hits"] + 1})
            s.incr("c", "n")

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [t for t in taken if t is not None] == [{"v": 0}]
    assert added.count(True) == 1
    assert s.get("n", "counted") == {"hits": 800}
    assert s.incr("c", "n", 0) == 800


def test_memory_is_given_back_when_the_domain_clock_passes_every_expiry(fresh_idp: MockIdP) -> None:
    # A long run: codes, sessions, refresh tokens, families and revocations pile up, then expire.
    auth = ("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293")
    for _ in range(30):
        tokens = password_tokens(fresh_idp, f"openid offline_access {ORDERS}read")
        requests.post(fresh_idp.revoke_url, auth=auth, data={"token": tokens["access_token"]}, timeout=10)
    domain = fresh_idp.domain
    assert domain is not None
    store = domain.store
    assert isinstance(store, MemoryStore)
    assert store.held("refresh_tokens") == 30 and store.held("revoked_jti") == 30
    fresh_idp.clock.advance(30 * 86400)
    password_tokens(fresh_idp, f"{ORDERS}read")  # any write sweeps
    for namespace in ("refresh_tokens", "refresh_families", "revoked_jti"):
        assert store.held(namespace) == 0, namespace
