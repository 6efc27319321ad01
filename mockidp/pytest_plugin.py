"""The pytest plugin (entry point `pytest11`): a `mockidp` fixture — one real server for the session, reset
before every test — and a marker to queue faults declaratively.

    def test_refresh_failure(mockidp):
        with mockidp.fault("token", error="invalid_grant", match={"grant_type": "refresh_token"}):
            ...

    @pytest.mark.mockidp_fault("token", error="temporarily_unavailable", times=2)
    def test_client_retries(mockidp): ...

Options (command line or ini): `mockidp_fixtures` (a fixture directory; default: the shipped one),
`mockidp_store` (`redis://HOST:PORT/DB` to keep the server's state in Redis, shared with other servers on it),
`mockidp_url` + `mockidp_control_token` (use a server already running, e.g. a container, instead of starting one).
Nothing is imported or started unless a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mockidp.testing import MockIdP


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockidp", "mockidp: an offline OCI IAM Identity Domain (IDCS) for tests")
    group.addoption("--mockidp-fixtures", help="fixture directory for the mockidp fixture (default: the shipped one)")
    group.addoption(
        "--mockidp-store", help="where the mockidp fixture's server keeps state: memory (default) or redis://…"
    )
    group.addoption("--mockidp-url", help="use the mockidp already running at this URL instead of starting one")
    group.addoption("--mockidp-control-token", help="the control token of the server at --mockidp-url")
    parser.addini("mockidp_fixtures", "fixture directory for the mockidp fixture (relative to the ini file)")
    parser.addini("mockidp_store", "where the mockidp fixture's server keeps state: memory (default) or redis://…")
    parser.addini("mockidp_url", "use the mockidp already running at this URL instead of starting one")
    parser.addini("mockidp_control_token", "the control token of the server at mockidp_url")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockidp_fault(endpoint, **fault): queue a mockidp fault before the test (the arguments of MockIdP.fault)",
    )


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--{name.replace('_', '-')}") or config.getini(name)
    return str(value) if value else None


@pytest.fixture(scope="session")
def mockidp_server(pytestconfig: pytest.Config) -> Iterator[MockIdP]:
    """The session's mockidp, as it is (no reset): prefer the `mockidp` fixture."""
    from mockidp.testing import MockIdP

    url = _setting(pytestconfig, "mockidp_url")
    if url:
        yield MockIdP.attach(url, control_token=_setting(pytestconfig, "mockidp_control_token"))
        return
    fixtures = _setting(pytestconfig, "mockidp_fixtures")
    if fixtures and pytestconfig.inipath is not None and not pytestconfig.getoption("--mockidp-fixtures"):
        fixtures = str(pytestconfig.inipath.parent / fixtures)
    with MockIdP(fixtures, store=_setting(pytestconfig, "mockidp_store") or "memory") as server:
        yield server


@pytest.fixture
def mockidp(mockidp_server: MockIdP, request: pytest.FixtureRequest) -> MockIdP:
    """A real mockidp, back to its fixtures for this test, with this test's `mockidp_fault` markers queued."""
    mockidp_server.reset()
    for marker in reversed(list(request.node.iter_markers("mockidp_fault"))):  # closest last = queued last
        mockidp_server.fault(*marker.args, **marker.kwargs)
    return mockidp_server
