"""Shared test fixtures: real mockidp servers on real sockets, and the default fixtures' identities."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mockidp.testing import MockIdP

SEED_CLIENT_ID = "04c1e0a50787408782a5a06fb04f6522"
SEED_CLIENT_SECRET = "5ec4e132-6cb8-4499-97fe-0c444faff293"
PUBLIC_CLIENT_ID = "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f"
SEED_USER = "user@example.com"
SECOND_USER = "bob@example.com"
PASSWORD = "Welcome1!"
TENANT = "idcs-c87b18d47f4b46798f61e82aaf3154c0"
ORDERS = "https://orders.example.com/"


@pytest.fixture(scope="session")
def idp() -> Iterator[MockIdP]:
    """One server on the shipped default fixtures for the whole session (tests must not depend on its state)."""
    with MockIdP() as server:
        yield server


@pytest.fixture
def fresh_idp() -> Iterator[MockIdP]:
    """A server of its own on the default fixtures, for tests that change state (revocations, clock)."""
    with MockIdP() as server:
        yield server


@pytest.fixture
def write_fixtures(tmp_path: Path) -> Callable[..., Path]:
    """Write fixture files into a temporary directory: write_fixtures(**{"a.toml": "...", "b.json": "..."})."""

    def write(**files: str) -> Path:
        for name, text in files.items():
            (tmp_path / name).write_text(textwrap.dedent(text))
        return tmp_path

    return write


@pytest.fixture
def serve_fixtures(write_fixtures: Callable[..., Path]) -> Iterator[Callable[..., MockIdP]]:
    """Start a server on fixtures written by the test: serve_fixtures(**{"domain.toml": "..."})."""
    started: list[MockIdP] = []

    def serve(**files: str) -> MockIdP:
        server = MockIdP(write_fixtures(**files)).start()
        started.append(server)
        return server

    yield serve
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def flows_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    """One server on the browser-flow fixtures (tests/flows.py) for the whole session."""
    from tests.flows import write_flow_fixtures

    with MockIdP(write_flow_fixtures(tmp_path_factory.mktemp("flows"))) as server:
        yield server


@pytest.fixture
def flow_idp(flows_server: MockIdP) -> Iterator[MockIdP]:
    """The browser-flow server, with its clock put back after the test."""
    yield flows_server
    assert flows_server.domain is not None
    flows_server.domain.clock.reset()
