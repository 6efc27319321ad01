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
