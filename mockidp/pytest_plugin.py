"""The pytest plugin (entry point `pytest11`): a `mockidp` fixture — one real server for the session, reset
before every test — and a marker to queue faults declaratively.

    def test_refresh_failure(mockidp):
        with mockidp.fault("token", error="invalid_grant", match={"grant_type": "refresh_token"}):
            ...

    @pytest.mark.mockidp_fault("token", error="temporarily_unavailable", times=2)
    def test_client_retries(mockidp): ...

    pytestmark = pytest.mark.mockidp_fixtures("idp-fixtures")   # this module's own domain (relative to it)

Options (command line or ini): `mockidp_fixtures` (a fixture directory; default: the shipped one), `mockidp_port`
(the session server's port; default: any free one), `mockidp_auto_login` (sign browsers in without the page: a user
name, or `true` for the login_hint user, else the first one), `mockidp_store` (`redis://HOST:PORT/DB` to keep the
server's state in Redis, shared with other servers on it), `mockidp_url` + `mockidp_control_token` (use a server
already running, e.g. a container, instead of starting one). The `mockidp_fixtures(dir)` marker gives a module
(or a class, or a test) a server of its own on those fixtures, started when first needed and shared by every test
that names the same directory. Nothing is imported or started unless a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mockidp.testing import MockIdP


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockidp", "mockidp: an offline OCI IAM Identity Domain (IDCS) for tests")
    group.addoption("--mockidp-fixtures", help="fixture directory for the mockidp fixture (default: the shipped one)")
    group.addoption("--mockidp-port", help="port of the session's mockidp (default: any free port)")
    group.addoption(
        "--mockidp-auto-login",
        help="sign browsers in without the sign-in page: a user name, or true (the login_hint user, else the first)",
    )
    group.addoption(
        "--mockidp-store", help="where the mockidp fixture's server keeps state: memory (default) or redis://…"
    )
    group.addoption("--mockidp-url", help="use the mockidp already running at this URL instead of starting one")
    group.addoption("--mockidp-control-token", help="the control token of the server at --mockidp-url")
    parser.addini("mockidp_fixtures", "fixture directory for the mockidp fixture (relative to the ini file)")
    parser.addini("mockidp_port", "port of the session's mockidp (default: any free port)")
    parser.addini("mockidp_auto_login", "sign browsers in without the sign-in page: a user name, or true")
    parser.addini("mockidp_store", "where the mockidp fixture's server keeps state: memory (default) or redis://…")
    parser.addini("mockidp_url", "use the mockidp already running at this URL instead of starting one")
    parser.addini("mockidp_control_token", "the control token of the server at mockidp_url")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockidp_fault(endpoint, **fault): queue a mockidp fault before the test (the arguments of MockIdP.fault)",
    )
    config.addinivalue_line(
        "markers",
        "mockidp_fixtures(directory): the mockidp fixture serves this fixture directory (relative to the test file)",
    )


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--{name.replace('_', '-')}") or config.getini(name)
    return str(value) if value else None


def _port(config: pytest.Config) -> int:
    value = _setting(config, "mockidp_port") or "0"
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise pytest.UsageError(f"mockidp_port: must be a port number (0 = any free one), got {value!r}")
    return int(value)


def _auto_login(config: pytest.Config) -> bool | str:
    value = _setting(config, "mockidp_auto_login")
    if value is None or value.lower() in ("false", "no", "0", ""):
        return False
    return True if value.lower() in ("true", "yes", "1") else value


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
    store = _setting(pytestconfig, "mockidp_store") or "memory"
    with MockIdP(fixtures, port=_port(pytestconfig), auto_login=_auto_login(pytestconfig), store=store) as server:
        yield server


@pytest.fixture(scope="session")
def mockidp_servers(pytestconfig: pytest.Config) -> Iterator[dict[Path, MockIdP]]:
    """The servers of `mockidp_fixtures` markers, one per directory, stopped at the end of the session."""
    servers: dict[Path, MockIdP] = {}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def mockidp(request: pytest.FixtureRequest) -> MockIdP:
    """A real mockidp, back to its fixtures for this test, with this test's `mockidp_fault` markers queued."""
    marker = request.node.get_closest_marker("mockidp_fixtures")
    if marker is None:
        server: MockIdP = request.getfixturevalue("mockidp_server")
    else:
        server = _marked_server(request, marker)
    server.reset()
    for fault in reversed(list(request.node.iter_markers("mockidp_fault"))):  # closest last = queued last
        server.fault(*fault.args, **fault.kwargs)
    return server


def _marked_server(request: pytest.FixtureRequest, marker: pytest.Mark) -> MockIdP:
    from mockidp.testing import MockIdP

    config = request.config
    if _setting(config, "mockidp_url"):
        raise pytest.UsageError(
            "mockidp_fixtures: the marker needs a server mockidp starts; with mockidp_url the server is yours"
        )
    if len(marker.args) != 1 or marker.kwargs:
        raise pytest.UsageError('mockidp_fixtures takes one fixture directory, e.g. mockidp_fixtures("idp")')
    directory = (Path(request.path).parent / marker.args[0]).resolve()
    servers: dict[Path, MockIdP] = request.getfixturevalue("mockidp_servers")
    if directory not in servers:
        store = _setting(config, "mockidp_store") or "memory"
        servers[directory] = MockIdP(directory, auto_login=_auto_login(config), store=store).start()
    return servers[directory]
