"""More of the store contract, held by both stores (the in-process one and Redis on a real redis-server: sweeps,
append, durable namespaces), and what only a shared store must do: a change through one connection seen at once
through another. Expiry is on the domain clock, which these tests move by hand."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from redis_support import redis_server, redis_url  # noqa: F401 - fixtures

from mockidp.core.stores.contract import Store
from mockidp.core.stores.memory import MemoryStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[Store, FakeClock]]:
    clock = FakeClock()
    if request.param == "memory":
        made: Store = MemoryStore()
        made.bind_clock(clock)
        yield made, clock
        return
    from mockidp.core.stores.redis import RedisBackend

    backend = RedisBackend(request.getfixturevalue("redis_url"))
    made = backend.store_for("idcs-contract")
    made.bind_clock(clock)
    yield made, clock
    backend.close()


def test_put_get_delete(store) -> None:
    s, _ = store
    assert s.get("codes", "a") is None
    s.put("codes", "a", {"user": "u", "n": [1, 2]})
    assert s.get("codes", "a") == {"user": "u", "n": [1, 2]}
    s.put("codes", "a", {"user": "v"})
    assert s.get("codes", "a") == {"user": "v"}
    assert s.delete("codes", "a") is True
    assert s.delete("codes", "a") is False
    assert s.get("codes", "a") is None


def test_records_expire_on_the_domain_clock(store) -> None:
    s, clock = store
    s.put("sessions", "s", {"x": 1}, expires_at=clock.now + 60)
    assert s.get("sessions", "s") == {"x": 1}
    assert s.items("sessions") == [("s", {"x": 1})]
    clock.now += 61
    assert s.get("sessions", "s") is None
    assert s.items("sessions") == []
    assert s.count("sessions") == 0
    assert s.take("sessions", "s") is None
    assert s.add("sessions", "s", {"x": 2}, expires_at=clock.now + 60) is True  # an expired record is no obstacle


def test_add_is_put_if_absent(store) -> None:
    s, _ = store
    assert s.add("durable", "k", {"v": 1}) is True
    assert s.add("durable", "k", {"v": 2}) is False
    assert s.get("durable", "k") == {"v": 1}


def test_take_is_single_use(store) -> None:
    s, _ = store
    s.put("codes", "c", {"v": 1})
    assert s.take("codes", "c") == {"v": 1}
    assert s.take("codes", "c") is None
    assert s.items("codes") == []


def test_update_is_read_modify_write_and_keeps_the_expiry(store) -> None:
    s, clock = store
    assert s.update("device_codes", "d", lambda current: {"n": 1} if current is None else None) == {"n": 1}
    s.put("device_codes", "d", {"n": 1}, expires_at=clock.now + 10)
    assert s.update("device_codes", "d", lambda current: {"n": current["n"] + 1}) == {"n": 2}
    clock.now += 11
    assert s.get("device_codes", "d") is None  # the update kept the record's expiry
    s.put("device_codes", "e", {"n": 1})
    assert s.update("device_codes", "e", lambda current: None) is None
    assert s.get("device_codes", "e") is None


def test_incr_counts_from_zero_and_delete_resets(store) -> None:
    s, _ = store
    assert s.incr("counters", "journal") == 1
    assert s.incr("counters", "journal", 5) == 6
    s.delete("counters", "journal")
    assert s.incr("counters", "journal") == 1


def test_items_count_and_clear_keep_durable(store) -> None:
    s, _ = store
    for key in ("b", "a", "c"):
        s.put("runtime_users", key, {"k": key})
    s.put("durable", "serial", {"n": 7})
    s.incr("counters", "fault")
    assert sorted(s.items("runtime_users")) == [("a", {"k": "a"}), ("b", {"k": "b"}), ("c", {"k": "c"})]
    assert s.count("runtime_users") == 3
    s.clear("runtime_users")
    assert s.items("runtime_users") == []
    s.put("runtime_users", "a", {"k": "a"})
    s.clear()
    assert s.items("runtime_users") == []
    assert s.incr("counters", "fault") == 1
    assert s.get("durable", "serial") == {"n": 7}


def test_writes_sweep_expired_records(store) -> None:
    """Memory stays flat: once past their expiry, records are given back, even if nobody reads them again."""
    s, clock = store
    for number in range(50):
        s.put("refresh_tokens", f"t{number}", {"n": number}, expires_at=clock.now + 5)
    clock.now += 10
    s.put("refresh_tokens", "fresh", {"n": -1}, expires_at=clock.now + 5)
    clock.now -= 10  # even with the clock moved back, the swept records are gone
    assert [key for key, _ in s.items("refresh_tokens")] == ["fresh"]


def test_concurrent_updates_lose_nothing(store) -> None:
    s, _ = store
    s.put("faults", "f", {"hits": 0})

    def hit() -> None:
        for _ in range(25):
            s.update("faults", "f", lambda current: {"hits": current["hits"] + 1})

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert s.get("faults", "f") == {"hits": 100}


def test_a_change_through_one_connection_is_seen_by_the_next_read_of_another(redis_url) -> None:
    """Two backends are two processes: the hot namespaces are cached in each, and Redis' invalidation messages
    arrive before the write that caused them is answered, so no read after a change returns the old value."""
    from mockidp.core.stores.redis import RedisBackend

    first, second = RedisBackend(redis_url), RedisBackend(redis_url)
    try:
        a, b = first.store_for("idcs-shared"), second.store_for("idcs-shared")
        for number in range(300):
            a.put("clock", "state", {"offset": number})
            assert b.get("clock", "state") == {"offset": number}
            assert b.get("clock", "state") == {"offset": number}  # now from the cache
            assert dict(b.items("faults")).get("f") == ({"n": number - 1} if number else None)
            a.put("faults", "f", {"n": number})
        assert second._cache  # the reads were served from the cache between changes
        a.clear()
        assert b.get("clock", "state") is None
        assert b.items("faults") == []
    finally:
        first.close()
        second.close()


def test_append_numbers_records_and_keeps_the_last(store) -> None:
    s, _ = store
    for n in range(1, 6):
        s.append("journal", {"n": n}, limit=3)
    assert s.items("journal") == [("000000000003", {"n": 3}), ("000000000004", {"n": 4}), ("000000000005", {"n": 5})]
    s.clear("journal")
    s.append("journal", {"n": 1}, limit=3)
    assert s.items("journal") == [("000000000001", {"n": 1})]
