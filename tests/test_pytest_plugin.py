"""The pytest plugin, run the way a user's project runs it: pytest in a child process on a test file."""

from __future__ import annotations

import textwrap

import pytest

from mockidp.testing import MockIdP

pytest_plugins = ["pytester"]

USER_TESTS = """
import pytest
import requests

SEED = ("04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293")


def token(idp):
    data = {"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"}
    return requests.post(idp.token_url, data=data, auth=SEED, timeout=10)


def test_a_fault(mockidp):
    with mockidp.fault("token", error="temporarily_unavailable"):
        assert token(mockidp).status_code == 503
    assert token(mockidp).status_code == 200


def test_state_from_the_last_test_is_gone(mockidp):
    assert mockidp.requests() == []
    mockidp.clock.advance(10_000)
    mockidp.fault("jwks", error="server_error", times=None)


def test_and_gone_again(mockidp):
    assert mockidp.faults() == [] and abs(mockidp.clock.state()["offset"]) < 60


@pytest.mark.mockidp_fault("token", error="rate_limited", times=2)
def test_a_marker_queues_a_fault(mockidp):
    assert [token(mockidp).status_code for _ in range(3)] == [429, 429, 200]
"""


def test_the_plugin_gives_a_reset_server_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=4)


def test_the_fixtures_option_from_ini(pytester: pytest.Pytester) -> None:
    pytester.mkdir("idp")
    (pytester.path / "idp" / "domain.toml").write_text(
        textwrap.dedent(
            """
            [domain]
            tenant = "idcs-0123456789abcdef0123456789abcdef"
            [[users]]
            user_name = "only@example.com"
            """
        )
    )
    pytester.makeini("[pytest]\nmockidp_fixtures = idp\n")
    pytester.makepyfile(
        test_ini="""
        import requests

        def test_fixture_dir(mockidp):
            users = requests.get(mockidp.control_url + "/users", timeout=10).json()["users"]
            assert [u["user_name"] for u in users] == ["only@example.com"]
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_attaching_to_a_running_server(pytester: pytest.Pytester) -> None:
    with MockIdP(control_token="tok") as running:
        running.fault("discovery", error="server_error", times=None)
        pytester.makepyfile(
            test_attach=f"""
            def test_attached(mockidp):
                assert mockidp.url == "{running.url}"
                assert mockidp.faults() == []  # reset before the test, over HTTP
            """
        )
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", f"--mockidp-url={running.url}", "--mockidp-control-token=tok"
        )
        result.assert_outcomes(passed=1)


def test_the_plugin_starts_nothing_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_plain():
            assert not {"mockidp.testing", "mockidp.web.app", "uvicorn"} & set(sys.modules)
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_port_and_auto_login_options(pytester: pytest.Pytester) -> None:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pytester.makepyfile(
        test_options=f"""
        import requests

        def test_port_and_auto_login(mockidp):
            assert mockidp.url == "http://127.0.0.1:{port}"
            answer = requests.get(mockidp.authorize_url, allow_redirects=False, timeout=10, params={{
                "client_id": "04c1e0a50787408782a5a06fb04f6522", "response_type": "code",
                "redirect_uri": "http://localhost:8001", "scope": "openid", "state": "s"}})
            assert answer.status_code in (302, 303) and "code=" in answer.headers["location"]  # no sign-in page
            assert mockidp.requests("authorize")[-1].status == answer.status_code
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--mockidp-port={port}", "--mockidp-auto-login=bob@example.com"
    )
    result.assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nmockidp_port = eighty\n")
    refused = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert "mockidp_port: must be a port number" in refused.stderr.str() + refused.stdout.str()


def test_fixtures_per_module_with_a_marker(pytester: pytest.Pytester) -> None:
    pytester.mkdir("own")
    (pytester.path / "own" / "domain.toml").write_text(
        '[domain]\ntenant = "idcs-0123456789abcdef0123456789abcdef"\n[[users]]\nuser_name = "own@example.com"\n'
    )
    users = 'requests.get(mockidp.control_url + "/users", timeout=10).json()["users"]'
    pytester.makepyfile(
        test_own=f"""
        import pytest
        import requests

        pytestmark = pytest.mark.mockidp_fixtures("own")

        def test_its_own_domain(mockidp):
            assert [u["user_name"] for u in {users}] == ["own@example.com"]
            mockidp.clock.advance(600)

        def test_reset_between_tests_too(mockidp):
            assert mockidp.clock.state()["offset"] == 0.0
        """,
        test_default=f"""
        import requests

        def test_the_shipped_domain(mockidp):
            assert "user@example.com" in [u["user_name"] for u in {users}]
        """,
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers").assert_outcomes(passed=3)
