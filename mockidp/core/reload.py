"""Reloading a domain's fixtures while it serves: `mockidp serve --reload` (the directory is watched), SIGHUP,
and `POST /mockidp/v1/reload` all come here.

A reload reads the directory exactly as the start did. If anything is wrong — a bad edit, a half-saved file,
a tenant that would change — the domain keeps the fixtures it has and the problems are reported (the log, the
control call's answer); nothing is half applied. What the store holds stays: sessions, tokens, faults, the
journal, the clock, rotated keys and run-time users/clients/resources (a reset drops those, as always).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mockidp.core.fixtures import FixtureError, load_fixtures
from mockidp.core.keys import load_or_create

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from mockidp.core.domain import IdentityDomain

log = logging.getLogger("mockidp")
WATCHED = ("*.toml", "*.json", "*.pem")
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Outcome:
    """What a reload did: `problems` empty = the new fixtures are served."""

    directory: Path
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def reload(domain: IdentityDomain) -> Outcome:
    """Read the domain's fixture directory again and serve it, or keep the old fixtures and say why."""
    directory = Path(domain.fixtures.directory)
    try:
        fixtures = load_fixtures(directory)
        key = load_or_create(directory / fixtures.domain.signing_key)
        domain.use_fixtures(fixtures, key)
    except FixtureError as exc:
        outcome = Outcome(directory, tuple(str(problem) for problem in exc.problems))
    except (OSError, ValueError) as exc:
        outcome = Outcome(directory, (f"{directory}: {exc}",))
    else:
        log.info(
            "reloaded the fixtures of %s from %s: %d clients, %d users, %d resources",
            domain.tenant,
            directory,
            len(fixtures.clients),
            len(fixtures.users),
            len(fixtures.resources),
        )
        return Outcome(directory, ())
    log.warning(
        "the fixtures in %s have %d problem(s); still serving the previous ones:\n%s",
        directory,
        len(outcome.problems),
        "\n".join(outcome.problems),
    )
    return outcome


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """What the watcher compares: every fixture-looking file's modification time and size."""
    found = {}
    for pattern in WATCHED:
        for path in directory.rglob(pattern):
            try:
                stat = path.stat()
            except OSError:
                continue
            found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return found


class Watcher:
    """`--reload`: a daemon thread that polls the fixture directories (no extra dependency) and reloads a domain
    whose files changed. Polling every `POLL_SECONDS` costs a directory listing; a change is seen within it."""

    def __init__(
        self, domains: Iterable[IdentityDomain], *, reload_one: Callable[[IdentityDomain], Outcome] = reload
    ) -> None:
        self.domains = list(domains)
        self.reload_one = reload_one
        self._stop = threading.Event()
        self._seen = {id(domain): snapshot(Path(domain.fixtures.directory)) for domain in self.domains}
        self._thread = threading.Thread(target=self._run, name="mockidp-reload", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            for domain in self.domains:
                now = snapshot(Path(domain.fixtures.directory))
                if now != self._seen[id(domain)]:
                    self._seen[id(domain)] = now
                    self.reload_one(domain)
