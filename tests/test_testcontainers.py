"""`mockidp.containers.MockIdPContainer` against the real image, through podman's Docker-compatible socket.

The container tests are opt-in (MOCKIDP_CONTAINER_TESTS=1): the image `localhost/mockidp:check` is built from this
repository's Dockerfile by `../shared/tools/container-check`, which takes minutes and debootstrap. With the variable
set, a missing podman or image fails the test and says how to get it. Nothing is pulled (no registry is reachable):
Ryuk is off and the image must be local. The podman service this module starts and every container it runs are
removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

needs_containers = pytest.mark.skipif(
    os.environ.get("MOCKIDP_CONTAINER_TESTS") != "1",
    reason="MOCKIDP_CONTAINER_TESTS=1 runs it (needs podman and the image localhost/mockidp:check)",
)

IMAGE = "localhost/mockidp:check"
ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "04c1e0a50787408782a5a06fb04f6522"  # fixtures/default, shipped in the image
CLIENT_SECRET = "5ec4e132-6cb8-4499-97fe-0c444faff293"
SCOPE = "https://orders.example.com/read"


@pytest.fixture(scope="module")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """podman's Docker-compatible API on a socket of our own, for this module only."""
    podman = shutil.which("podman")
    if podman is None:
        pytest.fail(
            "MOCKIDP_CONTAINER_TESTS=1 needs podman: `apt-get install podman runc`, then build the image with "
            "`../shared/tools/container-check` (it installs podman, runc and debootstrap when missing)"
        )
    if subprocess.run([podman, "image", "exists", IMAGE], check=False).returncode != 0:
        pytest.fail(
            f"MOCKIDP_CONTAINER_TESTS=1 needs the image {IMAGE}: build it from this repository's Dockerfile with "
            "`../shared/tools/container-check` (a few minutes the first time; it makes a Debian base with debootstrap)"
        )
    socket = tmp_path_factory.mktemp("podman") / "podman.sock"
    service = subprocess.Popen(
        [podman, "system", "service", "--time=0", f"unix://{socket}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stopped below, whatever it started
    )
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            if service.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"podman system service did not open {socket}: {service.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        yield f"unix://{socket}"
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        try:
            service.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
            service.wait(timeout=15)
        service.stderr.close()


@pytest.fixture(scope="module")
def engine(docker_host: str) -> Iterator[dict]:
    """testcontainers set up for this machine's engine; yields the keyword arguments every container needs here."""
    import docker
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    saved = (os.environ.get("DOCKER_HOST"), testcontainers_config.connection_mode_override)
    saved_ryuk = testcontainers_config.ryuk_disabled
    os.environ["DOCKER_HOST"] = docker_host
    # Ryuk (the reaper) is an image from Docker Hub, which cannot be pulled here; the containers are removed by `with`.
    testcontainers_config.ryuk_disabled = True
    # podman runs on this machine, but /.dockerenv makes testcontainers guess it runs in a container and look for
    # a gateway address: the mapped ports are on this machine's localhost.
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host
    try:
        # podman's default limits (nofile 1048576) are above what this sandboxed machine lets runc set; 4096 as in
        # ../shared/tools/container-check, plenty for mockidp.
        yield {
            "ulimits": [
                docker.types.Ulimit(name="nofile", soft=4096, hard=4096),
                docker.types.Ulimit(name="nproc", soft=4096, hard=4096),
            ]
        }
    finally:
        if saved[0] is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = saved[0]
        testcontainers_config.connection_mode_override = saved[1]
        testcontainers_config.ryuk_disabled = saved_ryuk


@pytest.fixture(scope="module")
def container(engine: dict) -> Iterator:
    from mockidp.containers import MockIdPContainer

    with MockIdPContainer(image=IMAGE, **engine) as running:
        yield running


def client_credentials(url: str) -> requests.Response:
    return requests.post(
        f"{url}/oauth2/v1/token",
        data={"grant_type": "client_credentials", "scope": SCOPE},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )


@needs_containers
def test_token_from_the_container_verifies_against_its_jwks(container) -> None:
    import jwt

    discovery = requests.get(f"{container.url}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["token_endpoint"] == f"{container.url}/oauth2/v1/token"  # the mapped port, not 8000
    (binding,) = container.get_docker_client().client.api.port(container.get_container_id(), 8000)
    assert binding["HostIp"] == "127.0.0.1"  # a local engine: published on loopback only
    answer = client_credentials(container.url)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience="https://orders.example.com/", issuer=discovery["issuer"]
    )
    assert claims["client_id"] == CLIENT_ID
    assert SCOPE.removeprefix("https://orders.example.com/") in claims["scope"].split()


@needs_containers
def test_a_fault_queued_through_idp_fires_and_the_journal_has_it(container) -> None:
    idp = container.idp()
    idp.clear_requests()
    with idp.fault("token", error="temporarily_unavailable", times=1) as fault:
        failed = client_credentials(container.url)
        recovered = client_credentials(container.url)
    assert failed.status_code == 503
    assert failed.json()["error"] == "temporarily_unavailable"
    assert recovered.status_code == 200, recovered.text
    assert fault.hits == 1
    entries = idp.requests("token")
    assert [e.status for e in entries] == [503, 200]
    assert {e.client_id for e in entries} == {CLIENT_ID}
    assert entries[0].fault is not None
    assert {e.grant_type for e in entries} == {"client_credentials"}


@needs_containers
def test_the_control_plane_needs_the_token(container) -> None:
    assert container.control_token  # a random one: none was given
    refused = requests.get(f"{container.url}/mockidp/v1/faults", timeout=10)
    assert refused.status_code == 401, refused.text
    assert container.idp().faults() == []


@needs_containers
def test_mounted_fixtures_and_a_given_token_and_the_container_is_removed(engine: dict, tmp_path: Path) -> None:
    from mockidp.containers import MockIdPContainer

    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    for name in ("clients.toml", "users.toml"):
        shutil.copy(ROOT / "fixtures/default" / name, fixtures / name)
    (fixtures / "domain.toml").write_text(
        '[domain]\ntenant = "idcs-0123456789abcdef0123456789abcdef"\n\n'
        '[[resources]]\nname = "Orders API"\naudience = "https://orders.example.com/"\nscopes = ["read", "write"]\n'
    )
    for path in (tmp_path, fixtures, *fixtures.iterdir()):  # the image runs as uid 10001: let it read them
        path.chmod(0o755 if path.is_dir() else 0o644)

    with MockIdPContainer(image=IMAGE, fixtures=fixtures, control_token="tc-s3cret", port=9000, **engine) as running:
        # mockidp listens on 9000 in the container (MOCKIDP_PORT), the one published port: .url reaches it below
        published = running.get_wrapped_container().attrs["NetworkSettings"]["Ports"]
        assert {port for port, bound in published.items() if bound} == {"9000/tcp"}  # the image's 8000 is not
        container_id = running.get_wrapped_container().id
        health = requests.get(f"{running.url}/mockidp/health", timeout=10).json()
        assert health["tenants"] == ["idcs-0123456789abcdef0123456789abcdef"]
        assert client_credentials(running.url).status_code == 200  # no signing key in the mount: one in memory
        wrong = requests.get(f"{running.url}/mockidp/v1/faults", headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 401
        assert running.idp().faults() == []
    import docker

    engine_client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
    try:
        assert engine_client.containers.list(all=True, filters={"id": container_id}) == []
    finally:
        engine_client.close()


def test_mockidp_does_not_import_testcontainers() -> None:
    """Only mockidp.containers needs the extra: the server, the CLI, the Python API and the plugin do not."""
    code = (
        "import sys, mockidp, mockidp.cli, mockidp.testing, mockidp.pytest_plugin; "
        "assert not [m for m in sys.modules if m.startswith(('testcontainers', 'docker'))], sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_fixture_path_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    from mockidp.containers import MockIdPContainer

    with pytest.raises(ValueError, match="is not a directory"):
        MockIdPContainer(image=IMAGE, fixtures=tmp_path / "missing")
