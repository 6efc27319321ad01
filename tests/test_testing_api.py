"""`MockIdP` as a library: its own server, or attached to one already running."""

from __future__ import annotations

import datetime

import requests
from conftest import SEED_CLIENT_ID

from mockidp.testing import JournalEntry, MockIdP


def test_attach_drives_a_running_server_over_http(mockidp: MockIdP) -> None:
    attached = MockIdP.attach(mockidp.url + "/")
    assert attached.url == mockidp.url
    assert attached.issuer == "https://identity.oraclecloud.com/"
    assert attached.token_url == mockidp.token_url
    with attached.fault("jwks", status=503) as fault:
        assert requests.get(mockidp.jwks_url, timeout=10).status_code == 503
        assert fault.hits == 1
    assert mockidp.faults() == []  # the with block deleted it
    assert attached.clock.advance(datetime.timedelta(minutes=1)) > mockidp.clock.now() - 1
    assert attached.mint_token(SEED_CLIENT_ID).count(".") == 2
    (entry,) = attached.requests("jwks")
    assert isinstance(entry, JournalEntry) and entry.status == 503
    attached.stop()  # nothing to stop: the server is not ours
    assert requests.get(mockidp.jwks_url, timeout=10).status_code == 200


def test_the_constructor_and_urls_are_as_before(tmp_path) -> None:
    with MockIdP(port=0) as idp:
        assert idp.url.startswith("http://127.0.0.1:")
        assert idp.control_url == idp.url + "/mockidp/v1"
        assert requests.get(idp.discovery_url, timeout=10).json()["token_endpoint"].endswith("/oauth2/v1/token")


def test_a_fault_s_hits_stay_readable_after_its_with_block(mockidp: MockIdP) -> None:
    with mockidp.fault("jwks", error="server_error", times=2) as fault:
        assert requests.get(mockidp.jwks_url, timeout=10).status_code == 500
    assert fault.hits == 1 and fault.active is False  # was: "There is no fault 'fault-1'"
    assert mockidp.faults() == []  # deleted all the same
    fault.delete()  # twice is fine


def test_the_clock_shows_exact_offsets(mockidp: MockIdP) -> None:
    assert mockidp.clock.state()["offset"] == 0.0  # was -4.7e-07
    mockidp.clock.advance(3600)
    assert mockidp.clock.state()["offset"] == 3600.0  # was 3599.9999992847443
    mockidp.clock.advance(-600)
    state = mockidp.clock.state()
    assert (state["offset"], state["frozen"]) == (3000.0, False)
    mockidp.clock.freeze()
    frozen = mockidp.clock.state()
    assert frozen["frozen"] and frozen["offset"] == round(frozen["offset"], 3)
