"""The shared store: every domain's mutable state in one Redis, so that several mockidp processes (`--workers N`,
replicas) are one identity domain. Imported only with `--store redis://…`.

Layout, per identity domain (`mockidp:<tenant>:` in front of every key):
- `<ns>:r:<key>` a record: `<expires_at>|<JSON>` (expires_at empty when the record has none), one string, so a
  read is one GET and single use is one script (`take`).
- `<ns>:i` the namespace's index (a sorted set of keys scored by expires_at, +inf for none): what `items` lists,
  and what a write sweeps of records past their expiry — so memory follows the live records, as in MemoryStore.
- `<ns>:c:<key>` a counter (`incr`); `<ns>:l` a log (`append`: the journal), numbered by the counter `<ns>:c:`.
Expiry is on the *domain clock* (tests move it), so every read filters on it; Redis' own expiry (PXAT, at the
real instant the record expires plus `GRACE`) is the backstop that gives memory back whatever the clock does.

Reads on the hot path (the clock, the key ring, faults, run-time clients/users/resources) come from a cache in
this process that Redis keeps honest: a second connection asks for invalidation messages of those namespaces
(CLIENT TRACKING … BCAST, RESP2 redirected to itself), and the cache applies the waiting ones before every read.
Redis writes those messages before it answers the write that caused them, so a change made through one process
is seen by the next request to any other. Without that connection (Redis just restarted) reads go to Redis.
The other calls of the hot path go over one connection of this process's own (not redis-py's client, whose
layers cost three times as much CPU a call), and the journal's append does not wait for its answer: a token
request costs Redis one command, and this process one send.

Redis unreachable: the call raises StoreUnavailable at once (a 503 for the client), and the next attempt waits a
backoff (50 ms doubling to 2 s) so a dead Redis is not hammered; the first call that succeeds ends the outage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis
from redis.connection import AbstractConnection

from mockidp.core.stores import StoreUnavailable, describe_url
from mockidp.core.stores.contract import APPEND_COUNTER, DURABLE, Change, Record

log = logging.getLogger("mockidp")

ROOT = "mockidp:"
SHARED = ROOT + "shared:"  # values all domains' processes agree on (adopt), outside every tenant and every reset
# Namespaces read on every request and written rarely: served from the tracked cache.
CACHED = frozenset({"clock", "keys", "faults", "runtime", "runtime_clients", "runtime_users", "runtime_resources"})
GRACE = 300.0  # seconds a record outlives its expiry in Redis (the domain clock may lag real time)
SWEEP_BATCH = 100  # expired records a write removes at most
BACKOFF_START, BACKOFF_MAX = 0.05, 2.0
CACHE_LIMIT = 4096


class Script:
    """A Lua script and its SHA1 digest (what EVALSHA names it by)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA1


# KEYS: record, index. ARGV: blob, score, pxat ms ('' = none), member, domain now, record prefix, only-if-absent.
_PUT = Script(
    """
if ARGV[7] == '1' then
  local current = redis.call('GET', KEYS[1])
  if current then
    local at = string.match(current, '^([^|]*)|')
    if at == '' or tonumber(at) > tonumber(ARGV[5]) then return 0 end
  end
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5], 'LIMIT', 0, SWEEP_BATCH)
for _, member in ipairs(gone) do
  redis.call('DEL', ARGV[6] .. member)
  redis.call('ZREM', KEYS[2], member)
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[3])
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return 1
""".replace("SWEEP_BATCH", str(SWEEP_BATCH))
)

# KEYS: log counter, log. ARGV: blob, limit. The journal's append: one command, so one reply to read.
_APPEND = Script("""
redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
return 1
""")

# KEYS: record, index, counter. ARGV: member, '1' to drop the counter too. Returns the record's blob, if any.
_DROP = Script("""
local current = redis.call('GET', KEYS[1])
if current then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' then redis.call('DEL', KEYS[3]) end
return current
""")

# KEYS: index, log, log counter. ARGV: record prefix. Returns key, blob, key, blob, …: the records (those Redis
# already dropped left out), then the appended log entries, numbered back from the counter.
_ITEMS = Script("""
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
local entries = redis.call('LRANGE', KEYS[2], 0, -1)
if #entries > 0 then
  local first = tonumber(redis.call('GET', KEYS[3]) or '0') - #entries
  for i, value in ipairs(entries) do
    out[#out + 1] = string.format('%012d', first + i)
    out[#out + 1] = value
  end
end
for first = 1, #members, 500 do
  local keys = {}
  for i = first, math.min(first + 499, #members) do keys[#keys + 1] = ARGV[1] .. members[i] end
  local values = redis.call('MGET', unpack(keys))
  for i, value in ipairs(values) do
    if value then
      out[#out + 1] = members[first + i - 1]
      out[#out + 1] = value
    end
  end
end
return out
""")

SCRIPTS = (_PUT, _APPEND, _DROP, _ITEMS)

_Decoded = tuple[float | None, Record]


@dataclass(frozen=True)
class _Sent:
    """A command sent on the own connection whose reply has not been read yet."""

    args: tuple[Any, ...]
    script: Script | None
    wanted: bool  # a caller waits for this reply


MAX_UNANSWERED = 64  # writes sent without waiting, at most, before their replies are read


class RedisBackend:
    """One Redis connection pool (and one invalidation listener) shared by the domains of a server."""

    kind = "redis"
    shared = True

    def __init__(self, url: str, *, connect_timeout: float = 1.0, timeout: float = 2.0) -> None:
        self.url = url
        self.where = describe_url(url)
        self._options = {"socket_connect_timeout": connect_timeout, "socket_timeout": timeout}
        # The client (its pool) for the rare calls (transactions, SCAN); the hot path sends its commands on one
        # connection of its own (`command`): redis-py's client layer costs ~30 µs of CPU a call, the connection ~10.
        self.client = redis.Redis.from_url(url, protocol=2, retry_on_timeout=False, retry=None, **self._options)
        self._connection: AbstractConnection | None = None
        self._connection_lock = threading.Lock()
        self._unanswered: deque[_Sent] = deque()
        self._lock = threading.RLock()
        self._cache: dict[bytes, Any] = {}
        self._epoch = 0  # counts invalidations, so that a read racing a change is not cached
        self._prefixes: list[str] = []  # tracked key prefixes (one per cached namespace of each tenant)
        self._listener: AbstractConnection | None = None
        self._listener_poll = select.poll()
        self._listener_failed_at = 0.0
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self._reason = ""
        self._pid = os.getpid()
        try:  # unreachable at start: StoreUnavailable, and the server does not start
            self.client.ping()
        except (redis.RedisError, OSError) as exc:
            self.client.connection_pool.disconnect()
            raise StoreUnavailable(
                f"the shared store (Redis at {self.where}) cannot be reached: {_why(exc)}; "
                "start it, or fix --store / $MOCKIDP_STORE"
            ) from None

    # -- what domains use ------------------------------------------------------------------------------

    def store_for(self, tenant: str) -> RedisStore:
        prefix = f"{ROOT}{tenant.replace(':', '%3A')}:"
        with self._lock:
            added = [f"{prefix}{namespace}:" for namespace in sorted(CACHED)]
            if not set(added) <= set(self._prefixes):
                self._prefixes += added
                self._drop_listener()  # the next read subscribes again, with the new prefixes too
        return RedisStore(self, prefix)

    def adopt(self, name: str, value: str) -> str:
        key = SHARED + name
        self.command("SET", key, value, "NX")
        stored = self.command("GET", key)
        return stored.decode() if stored is not None else value

    def health(self) -> dict[str, Any]:
        try:
            self.call(lambda: self._send(("PING",)), waiting=False)
        except StoreUnavailable as exc:
            return {"kind": self.kind, "status": "down", "reason": exc.message}
        return {"kind": self.kind, "status": "ok"}

    def after_fork(self) -> None:
        with self._lock:
            self._pid = os.getpid()
            self._listener = None  # the parent's sockets: left alone (closing them here would not be ours to do)
            self._connection = None
            self._unanswered.clear()
            self._cache.clear()
            self.client.connection_pool.reset()

    def close(self) -> None:
        with self._lock:
            self._drop_listener()
            self._cache.clear()
        with self._connection_lock:
            if self._connection is not None:
                try:
                    self._read_replies(self._connection)  # the last journal entries, if any
                except (redis.RedisError, OSError):
                    pass
                self._connection.disconnect()
                self._connection = None
        self.client.connection_pool.disconnect()

    # -- calling Redis ---------------------------------------------------------------------------------

    def command(self, *args: Any) -> Any:
        """One command on this process's own connection, through `call` (StoreUnavailable when Redis is lost)."""
        return self.call(lambda: self._send(args))

    def script(self, body: Script, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script by its digest, sending it whole when Redis does not know it (e.g. after a restart)."""
        return self.call(lambda: self._send(("EVALSHA", body.sha, len(keys), *keys, *args), script=body))

    def send(self, script: Script, keys: list[str], args: list[Any]) -> None:
        """Run a script whose answer nobody waits for (the journal's append): replies are read with the next
        command that waits, or MAX_UNANSWERED at a time. Redis runs a connection's commands in the order they
        reach it, and this process answers its client only after sending it, so a read after that answer, by any
        process, sees the write."""
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        self.call(lambda: self._send_unanswered(command, script))

    def _send_unanswered(self, command: tuple[Any, ...], script: Script) -> None:
        with self._connection_lock:
            connection = self._own_connection()
            try:
                connection.send_command(*command)
                self._unanswered.append(_Sent(command, script, wanted=False))
                if len(self._unanswered) >= MAX_UNANSWERED:  # one read for many replies (and a lost Redis found)
                    self._read_replies(connection)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                self._lost(connection)
                raise

    def _own_connection(self) -> AbstractConnection:
        """The connection the hot path uses; a new one loads the scripts first, so that an EVALSHA sent without
        waiting never meets NOSCRIPT (Redis restarted: the old connection broke, and this one loads them again)."""
        connection = self._connection
        if connection is None:
            pool = self.client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            try:
                connection.connect()
                for script in SCRIPTS:
                    connection.send_command("SCRIPT", "LOAD", script.text)
                    connection.read_response()
            except BaseException:
                connection.disconnect()
                raise
            self._connection = connection
        return connection

    def _lost(self, connection: AbstractConnection) -> None:
        self._unanswered.clear()
        self._connection = None
        connection.disconnect()

    def _send(self, args: tuple[Any, ...], script: Script | None = None) -> Any:
        with self._connection_lock:
            connection = self._own_connection()
            try:
                connection.send_command(*args)
                self._unanswered.append(_Sent(args, script, wanted=True))
                return self._read_replies(connection)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                self._lost(connection)
                raise

    def _read_replies(self, connection: AbstractConnection) -> Any:
        """Read the replies of the commands sent, in order; returns the reply of the one command waited for, or
        raises its error."""
        reply: Any = None
        failure: redis.RedisError | None = None
        while self._unanswered:
            sent = self._unanswered.popleft()
            try:
                answer = connection.read_response()
            except redis.exceptions.NoScriptError:
                if sent.script is None:
                    raise
                # EVAL keeps the script for the next EVALSHA; its reply comes after those of commands sent since
                connection.send_command("EVAL", sent.script.text, *sent.args[2:])
                self._unanswered.append(_Sent(("EVAL", *sent.args[1:]), None, sent.wanted))
                continue
            except redis.ResponseError as exc:
                if not sent.wanted:
                    log.warning("Redis refused %s: %s", sent.args[0], exc)
                    continue
                failure = exc
                continue
            if sent.wanted:
                reply = answer
        if failure is not None:
            raise failure
        return reply

    def call(self, command: Callable[[], Any], *, waiting: bool = True) -> Any:
        """Run one Redis call; a lost connection becomes StoreUnavailable (and a backoff before the next try)."""
        if waiting and self._down_since is not None and time.monotonic() < self._retry_at:
            raise StoreUnavailable(self._reason)
        try:
            result = command()
        except redis.WatchError:
            raise
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            raise StoreUnavailable(self._reason) from None
        if self._down_since is not None:
            log.warning("Redis at %s is back after %.1f s", self.where, time.monotonic() - self._down_since)
            self._down_since, self._backoff = None, 0.0
        return result

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            first = self._down_since is None
            self._reason = f"the shared store (Redis at {self.where}) is unavailable: {_why(exc)}"
            self._backoff = BACKOFF_START if first else min(BACKOFF_MAX, self._backoff * 2)
            self._retry_at = now + self._backoff
            if first:
                self._down_since = now
                log.warning("%s; answering 503 until it is back", self._reason)
            self._cache.clear()
            self._drop_listener()
        self.client.connection_pool.disconnect()  # (the own connection was dropped by `_send`)

    # -- the tracked cache -----------------------------------------------------------------------------

    def cached(self, key: bytes, fetch: Callable[[], Any]) -> Any:
        """`fetch()`'s answer for a key of a tracked namespace, from the cache while nobody changed it."""
        with self._lock:
            if not self._apply_invalidations():
                return fetch()
            if key in self._cache:
                return self._cache[key]
            epoch = self._epoch
            value = fetch()
            if self._apply_invalidations() and self._epoch == epoch:
                if len(self._cache) >= CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = value
            return value

    def forget(self, key: bytes) -> None:
        """This process changed `key`: drop it at once (the invalidation message follows)."""
        with self._lock:
            self._epoch += 1
            self._cache.pop(key, None)
            self._cache.pop(_items_key(key), None)

    def forget_all(self) -> None:
        with self._lock:
            self._epoch += 1
            self._cache.clear()

    def _apply_invalidations(self) -> bool:
        """Apply waiting invalidation messages; False when there is no listener, so the cache cannot be trusted."""
        listener = self._listener
        if listener is None:
            listener = self._listen()
            if listener is None:
                return False
        if not self._listener_poll.poll(0):  # one syscall; the parser's buffer is empty after each drain below
            return True
        try:
            while listener.can_read(timeout=0):
                message = listener.read_response()
                if not isinstance(message, list) or len(message) < 3 or message[0] != b"message":
                    continue
                self._epoch += 1
                if message[2] is None:  # FLUSHDB / FLUSHALL
                    self._cache.clear()
                    continue
                for key in message[2]:
                    self._cache.pop(key, None)
                    self._cache.pop(_items_key(key), None)
        except (redis.RedisError, OSError):
            self._drop_listener()
            return False
        return True

    def _listen(self) -> AbstractConnection | None:
        if self._down_since is not None or not self._prefixes:
            return None
        if time.monotonic() - self._listener_failed_at < BACKOFF_MAX:
            return None
        pool = self.client.connection_pool
        listener = pool.connection_class(**pool.connection_kwargs)  # of its own: it stays subscribed
        try:
            listener.connect()
            listener.send_command("CLIENT", "ID")
            client_id = listener.read_response()
            prefixes = [part for prefix in self._prefixes for part in ("PREFIX", prefix)]
            listener.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", *prefixes)
            listener.read_response()
            listener.send_command("SUBSCRIBE", "__redis__:invalidate")
            listener.read_response()
        except (redis.RedisError, OSError) as exc:
            self._listener_failed_at = time.monotonic()
            log.info("no invalidation messages from Redis (%s): hot reads go to Redis", _why(exc))
            listener.disconnect()
            return None
        self._cache.clear()  # whatever happened while nobody listened
        self._epoch += 1
        self._listener = listener
        self._listener_poll = select.poll()
        self._listener_poll.register(listener._sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return listener

    def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.disconnect()
            except (redis.RedisError, OSError):
                pass
        self._cache.clear()
        self._epoch += 1


def _items_key(key: bytes) -> bytes:
    """The cache entry of a namespace's listing, from any key in it: `mockidp:<tenant>:<ns>:`."""
    parts = key.split(b":", 3)
    return b":".join(parts[:3]) + b":" if len(parts) == 4 else key


def _why(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text or type(exc).__name__


def _encode(value: Record, expires_at: float | None) -> bytes:
    at = "" if expires_at is None else repr(float(expires_at))
    return f"{at}|".encode() + json.dumps(value, separators=(",", ":")).encode()


def _decode(blob: bytes | None) -> _Decoded | None:
    if blob is None:
        return None
    at, _, body = blob.partition(b"|")
    return (float(at) if at else None), json.loads(body)


class RedisStore:
    """One identity domain's state in Redis (the `Store` contract of mockidp.core.stores.contract)."""

    def __init__(self, backend: RedisBackend, prefix: str) -> None:
        self.backend = backend
        self.prefix = prefix
        self._client = backend.client
        self._now: Callable[[], float] = time.time

    def bind_clock(self, now: Callable[[], float]) -> None:
        self._now = now

    # -- keys ------------------------------------------------------------------------------------------

    def _record(self, namespace: str, key: str) -> str:
        return f"{self.prefix}{namespace}:r:{key}"

    def _index(self, namespace: str) -> str:
        return f"{self.prefix}{namespace}:i"

    def _log(self, namespace: str) -> str:
        return f"{self.prefix}{namespace}:l"

    def _counter(self, namespace: str, key: str) -> str:
        return f"{self.prefix}{namespace}:c:{key}"

    def _live(self, decoded: _Decoded | None) -> Record | None:
        if decoded is None:
            return None
        expires_at, value = decoded
        if expires_at is not None and expires_at <= self._now():
            return None
        return value

    def _backstop(self, expires_at: float | None) -> str:
        """PXAT for a record: the real instant its domain-clock expiry falls on, plus GRACE."""
        if expires_at is None:
            return ""
        remaining = max(0.0, expires_at - self._now())
        return str(int((time.time() + remaining + GRACE) * 1000))

    def _changed(self, namespace: str, key: str) -> None:
        if namespace in CACHED:
            self.backend.forget(self._record(namespace, key).encode())

    # -- reading ---------------------------------------------------------------------------------------

    def get(self, namespace: str, key: str) -> Record | None:
        name = self._record(namespace, key)
        if namespace in CACHED:
            decoded = self.backend.cached(name.encode(), lambda: _decode(self.backend.command("GET", name)))
        else:
            decoded = _decode(self.backend.command("GET", name))
        return self._live(decoded)

    def items(self, namespace: str) -> list[tuple[str, Record]]:
        def fetch() -> list[tuple[str, _Decoded]]:
            keys = [self._index(namespace), self._log(namespace), self._counter(namespace, APPEND_COUNTER)]
            flat = self.backend.script(_ITEMS, keys, [f"{self.prefix}{namespace}:r:"])
            return [(flat[i].decode(), _decode(flat[i + 1])) for i in range(0, len(flat), 2)]  # type: ignore[misc]

        if namespace in CACHED:
            listed = self.backend.cached(f"{self.prefix}{namespace}:".encode(), fetch)
        else:
            listed = fetch()
        now = self._now() if any(decoded[0] is not None for _, decoded in listed) else 0.0
        return [(key, value) for key, (at, value) in listed if at is None or at > now]

    def count(self, namespace: str) -> int:
        return len(self.items(namespace))

    def held(self, namespace: str) -> int:
        """Records Redis holds in a namespace's index and log, expired ones not yet swept included (a soak test's
        figure, as MemoryStore.held)."""
        return int(self.backend.command("ZCARD", self._index(namespace))) + int(
            self.backend.command("LLEN", self._log(namespace))
        )

    # -- writing ---------------------------------------------------------------------------------------

    def put(self, namespace: str, key: str, value: Record, *, expires_at: float | None = None) -> None:
        self._write(namespace, key, value, expires_at, only_if_absent=False)

    def add(self, namespace: str, key: str, value: Record, *, expires_at: float | None = None) -> bool:
        return self._write(namespace, key, value, expires_at, only_if_absent=True)

    def _write(
        self, namespace: str, key: str, value: Record, expires_at: float | None, *, only_if_absent: bool
    ) -> bool:
        args = [
            _encode(value, expires_at),
            "+inf" if expires_at is None else repr(float(expires_at)),
            self._backstop(expires_at),
            key,
            repr(self._now()),
            f"{self.prefix}{namespace}:r:",
            "1" if only_if_absent else "0",
        ]
        stored = self.backend.script(_PUT, [self._record(namespace, key), self._index(namespace)], args)
        self._changed(namespace, key)
        return bool(stored)

    def take(self, namespace: str, key: str) -> Record | None:
        return self._drop(namespace, key, counter=False)

    def delete(self, namespace: str, key: str) -> bool:
        return self._drop(namespace, key, counter=True) is not None

    def _drop(self, namespace: str, key: str, *, counter: bool) -> Record | None:
        keys = [self._record(namespace, key), self._index(namespace), self._counter(namespace, key)]
        blob = self.backend.script(_DROP, keys, [key, "1" if counter else "0"])
        self._changed(namespace, key)
        return self._live(_decode(blob))

    def update(self, namespace: str, key: str, change: Change, *, expires_at: float | None = None) -> Record | None:
        name, index = self._record(namespace, key), self._index(namespace)

        def attempt(pipe: redis.client.Pipeline) -> Record | None:
            decoded = _decode(pipe.get(name))
            current = self._live(decoded)
            new = change(current)
            pipe.multi()
            if new is None:
                if decoded is not None:
                    pipe.delete(name)
                    pipe.zrem(index, key)
                return None
            at = expires_at if expires_at is not None else (decoded[0] if current is not None and decoded else None)
            backstop = self._backstop(at)
            if backstop:
                pipe.set(name, _encode(new, at), pxat=int(backstop))
            else:
                pipe.set(name, _encode(new, at))
            pipe.zadd(index, {key: "+inf" if at is None else float(at)})
            return new

        result = self.backend.call(lambda: self._client.transaction(attempt, name, value_from_callable=True))
        self._changed(namespace, key)
        return result

    def incr(self, namespace: str, key: str, amount: int = 1) -> int:
        name = self._counter(namespace, key)
        return int(self.backend.command("INCRBY", name, amount))

    def append(self, namespace: str, value: Record, *, limit: int) -> None:
        """A list (`<ns>:l`) trimmed to `limit`, numbered by the namespace's counter, in one script sent without
        waiting for its answer."""
        keys = [self._counter(namespace, APPEND_COUNTER), self._log(namespace)]
        self.backend.send(_APPEND, keys, [_encode(value, None), int(limit)])
        if namespace in CACHED:
            self.backend.forget_all()

    def clear(self, namespace: str | None = None) -> None:
        doomed = [
            key
            for key in self.backend.call(lambda: list(self._keys(namespace)))
            if namespace is not None or key[len(self.prefix) :].split(b":", 1)[0].decode() not in DURABLE
        ]
        for first in range(0, len(doomed), 500):
            batch = doomed[first : first + 500]
            self.backend.call(lambda batch=batch: self._client.unlink(*batch))
        self.backend.forget_all()

    def _keys(self, namespace: str | None) -> Iterator[bytes]:
        pattern = _glob_escape(self.prefix) + (_glob_escape(namespace) + ":*" if namespace is not None else "*")
        return self._client.scan_iter(match=pattern, count=1000)


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)
