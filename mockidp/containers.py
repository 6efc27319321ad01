"""`MockIdPContainer`: mockidp's image as a testcontainers-python container, with the control plane attached.

    from mockidp.containers import MockIdPContainer

    with MockIdPContainer(image="mockidp:latest", fixtures="tests/fixtures") as container:
        token_url = container.url + "/oauth2/v1/token"
        with container.idp().fault("token", error="temporarily_unavailable"):
            ...                                    # the client under test, against container.url

Needs `pip install 'mockidp[testcontainers]'`; testcontainers is imported by this module only, so `mockidp` and
`mockidp.testing` do not need it. A Docker-compatible engine is required (Docker, or podman's socket through
`DOCKER_HOST`); the image is started as it is, pulled only if the engine does not have it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

try:
    from testcontainers.core.config import ConnectionMode
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import HttpWaitStrategy
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(
        f"mockidp.containers needs testcontainers-python 4.13 or later: pip install 'mockidp[testcontainers]' ({exc})"
    ) from exc

from mockidp.testing import MockIdP

FIXTURES_IN_IMAGE = "/fixtures"  # where the Dockerfile's CMD reads the fixtures (`serve --fixtures /fixtures`)
HEALTH_PATH = "/mockidp/health"  # 200 once the server listens and its store answers (503 while a shared one is down)
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class MockIdPContainer(DockerContainer):
    """mockidp serving in a container: `fixtures` (a directory) is mounted read-only at /fixtures, the control plane
    is guarded by `control_token` (a random one when not given: a mapped port may be reachable from other
    machines), and `start()` returns once `GET /mockidp/health` answers 200.

    `port` is the port mockidp listens on inside the container (`MOCKIDP_PORT`, which the image's HEALTHCHECK follows);
    the host port is the one the engine maps it to (`.url`). Other keyword arguments go to `DockerContainer`
    (and from there to the engine's create call, e.g. `ulimits=`)."""

    def __init__(
        self,
        image: str = "mockidp:latest",
        fixtures: str | Path | None = None,
        control_token: str | None = None,
        port: int = 8000,
        *,
        startup_timeout: float = 30,
        **kwargs: Any,
    ) -> None:
        directory = None
        if fixtures is not None:
            directory = Path(fixtures).resolve()
            if not directory.is_dir():
                raise ValueError(f"fixtures: {directory} is not a directory (give the fixture directory to mount)")
        super().__init__(image, **kwargs)
        self.fixtures = directory  # None: the fixtures shipped in the image
        self.port = port
        self.control_token = control_token if control_token is not None else secrets.token_urlsafe(24)
        self.with_exposed_ports(port)
        self.with_env("MOCKIDP_PORT", str(port))
        self.with_env("MOCKIDP_HOST", "0.0.0.0")  # noqa: S104 - inside the container; the engine maps the port
        self.with_env("MOCKIDP_CONTROL_TOKEN", self.control_token)
        if directory is not None:
            self.with_volume_mapping(str(directory), FIXTURES_IN_IMAGE, mode="ro")
        self.waiting_for(HttpWaitStrategy(port, HEALTH_PATH).for_status_code(200).with_startup_timeout(startup_timeout))

    def _configure(self) -> None:
        # [choice] When the tests reach the engine's host as localhost (a local Docker or podman socket), the port
        # is published on 127.0.0.1 only, as `mockidp serve` listens by default; otherwise (a remote engine, tests in
        # a container reaching the gateway) on the engine's default addresses, or the tests could not reach it.
        client = self.get_docker_client()
        if client.get_connection_mode() is ConnectionMode.docker_host and client.host() in _LOOPBACK_NAMES:
            key = next(k for k in self.ports if k.split("/")[0] == str(self.port))
            if self.ports[key] is None:
                self.ports[key] = ("127.0.0.1",)  # type: ignore[assignment]  # docker-py: host IP, any free port

    @property
    def url(self) -> str:
        """The identity domain's URL on the mapped host port, e.g. `http://localhost:32771`."""
        host = self.get_container_host_ip()
        if ":" in host:  # an IPv6 address
            host = f"[{host}]"
        return f"http://{host}:{self.get_exposed_port(self.port)}"

    def idp(self) -> MockIdP:
        """The Python control-plane API (faults, clock, keys, journal, run-time users and clients) on this
        container: `MockIdP.attach(self.url, control_token=self.control_token)`."""
        return MockIdP.attach(self.url, control_token=self.control_token)
