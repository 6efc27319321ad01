"""`--workers N`: N processes serving one port, pre-forked from a parent that has already loaded everything.

Each worker listens on a socket of its own bound with SO_REUSEPORT, so the kernel spreads new connections evenly
over the workers (one shared accept queue would let the first worker awake take most keep-alive connections).
The parent holds the port with a bound, non-listening socket (so `--port 0` names one port for all), prints the
ready line once every worker is ready, starts a worker again if one dies, and on SIGTERM / SIGINT stops them all.
All state is in the shared store, so which worker answers does not matter.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("mockidp")

STOP_TIMEOUT = 8.0  # seconds the workers get to finish (uvicorn's graceful shutdown is 3)
RESTARTS_ALLOWED, RESTART_WINDOW = 5, 30.0  # more deaths than this within the window: give up


class _Stop(Exception):
    pass


def run(
    count: int,
    serve: Callable[[Callable[[], None]], None],
    *,
    ready: Callable[[], None],
    in_worker: Callable[[], None],
) -> int:
    """Fork `count` workers, each calling `in_worker()` then `serve(on_ready)`; returns the exit status."""
    read_end, write_end = os.pipe()
    workers: set[int] = set()
    parent = os.getpid()

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                os.close(read_end)
                _die_with(parent)
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                signal.signal(signal.SIGINT, signal.default_int_handler)
                in_worker()
                serve(lambda: os.write(write_end, b"."))
                status = 0
            except (SystemExit, KeyboardInterrupt):
                status = 0
            except BaseException:
                log.exception("worker %d failed", os.getpid())
            finally:
                os._exit(status)
        workers.add(pid)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(count):
            spawn()
        if not _wait_ready(count, read_end, workers):
            log.error("a worker stopped before it was ready; see the log above")
            return 1
        ready()
        deaths: list[float] = []
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid not in workers:
                continue
            workers.discard(pid)
            now = time.monotonic()
            deaths = [at for at in deaths if now - at < RESTART_WINDOW] + [now]
            if len(deaths) > RESTARTS_ALLOWED:
                log.error("workers keep stopping (%d in %.0f s); giving up", len(deaths), RESTART_WINDOW)
                return 1
            log.warning("worker %d stopped (%s); starting another", pid, _describe(status))
            spawn()
            _drain(read_end)
    except _Stop:
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(workers)
        os.close(read_end)
        os.close(write_end)


def _die_with(parent: int) -> None:
    """A worker gets SIGTERM when the parent dies, however it dies (even SIGKILL), so none is left serving alone
    (Linux: PR_SET_PDEATHSIG; elsewhere the parent's own shutdown is the only way)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


PR_SET_PDEATHSIG = 1


def _wait_ready(count: int, read_end: int, workers: set[int]) -> bool:
    seen = 0
    while seen < count:
        readable, _, _ = select.select([read_end], [], [], 0.1)
        if readable:
            seen += len(os.read(read_end, count - seen))
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid in workers:
            workers.discard(pid)
            return False
    return True


def _drain(read_end: int) -> None:
    while select.select([read_end], [], [], 0)[0]:
        os.read(read_end, 64)


def _stop_all(workers: set[int]) -> None:
    for pid in workers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_TIMEOUT
    while workers and time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            workers.discard(pid)
        else:
            time.sleep(0.05)
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    workers.clear()


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
