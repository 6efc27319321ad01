"""The console's server side over plain HTTP: its page and CSP, the control calls it uses (token check, journal
cursor and filters, the domain overview), and the debugger's callback, which must not become a redirect URI
for anyone but a flow the debugger started. The page itself is tested in a browser: tests/browser/test_console.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from mockidp.testing import MockIdP

SEED, SEED_SECRET = "04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293"
SPA = "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f"
TV = "5d1f0c9e8b7a46e3a2c1b0f9e8d7c6b5"
ORDERS_READ = "https://orders.example.com/read"


@pytest.fixture(scope="module")
def idp() -> Iterator[MockIdP]:
    with MockIdP() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(idp: MockIdP) -> None:
    idp.reset()


def client_credentials(idp: MockIdP, secret: str = SEED_SECRET) -> requests.Response:
    return requests.post(
        idp.token_url, auth=(SEED, secret), data={"grant_type": "client_credentials", "scope": ORDERS_READ}, timeout=10
    )


def check(idp: MockIdP, body: object) -> requests.Response:
    return requests.post(f"{idp.control_url}/tokens/check", json=body, timeout=10)


def test_the_page_is_strict_and_self_contained(idp: MockIdP) -> None:
    page = requests.get(f"{idp.url}/mockidp/console", timeout=10)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text and " style=" not in page.text  # no inline script or style
    assert not re.search(r"(src|href)=\"https?://", page.text)  # nothing from elsewhere: no CDN, no fonts
    script = requests.get(f"{idp.url}/mockidp/console/static/console.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "http://" not in script.text and "https://" not in script.text
    missing = requests.get(f"{idp.url}/mockidp/console/static/nothing.js", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_the_console_callback_is_no_redirect_uri_for_anyone_else(idp: MockIdP) -> None:
    """Without a flow the debugger started (a state recorded through the control plane), the callback is an
    unregistered redirect URI like any other; a started flow lets through only its own client and state."""
    callback = f"{idp.url}/mockidp/console/callback"
    query = {"client_id": SEED, "response_type": "code", "redirect_uri": callback, "scope": "openid", "state": "x"}
    refused = requests.get(idp.authorize_url, params=query, allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and "requested an invalid redirect URL" in refused.text
    flow = requests.post(f"{idp.control_url}/console/flows", json={"client_id": SEED}, timeout=10).json()
    for other in ({"client_id": SPA, "state": flow["state"]}, {"state": flow["state"] + "x"}):
        attempt = requests.get(
            idp.authorize_url, params={**flow["authorize_params"], **other}, allow_redirects=False, timeout=10
        )
        assert attempt.status_code == 400 and "requested an invalid redirect URL" in attempt.text, other
    started = requests.get(idp.authorize_url, params=flow["authorize_params"], allow_redirects=False, timeout=10)
    assert started.status_code in (200, 302, 303) and "invalid redirect URL" not in started.text
    device_client = requests.post(f"{idp.control_url}/console/flows", json={"client_id": TV}, timeout=10)
    assert device_client.status_code == 400
    assert "not allowed the authorization_code grant" in device_client.json()["error_description"]


def test_the_token_check_lists_every_check(idp: MockIdP) -> None:
    token = client_credentials(idp).json()["access_token"]
    answer = check(idp, {"token": token}).json()
    assert answer["valid"] is True and answer["reason"] is None
    assert [c["name"] for c in answer["checks"]] == [
        "signature",
        "tenant",
        "issuer",
        "expiry",
        "not_before",
        "revocation",
    ]
    assert answer["claims"]["client_id"] == SEED and answer["header"]["kid"] == "SIGNING_KEY"
    assert abs(answer["now"] - idp.clock.now()) < 5
    audience = check(idp, {"token": token, "audience": "https://orders.example.com/"}).json()
    assert audience["valid"] and audience["checks"][-1] == {
        "name": "audience",
        "ok": True,
        "detail": "aud contains 'https://orders.example.com/'.",
    }
    wrong = check(
        idp, {"token": idp.mint_token(SEED, defects=["wrong_audience"]), "audience": "https://orders.example.com/"}
    )
    assert (
        wrong.json()["reason"]
        == "The token's aud 'https://wrong-audience.example.com/' does not contain 'https://orders.example.com/'."
    )
    forged = check(idp, {"token": idp.mint_token(SEED, defects=["bad_signature"])}).json()
    assert forged["valid"] is False and forged["claims"]["client_id"] == SEED  # shown, unverified, with the reason
    assert [c["name"] for c in forged["checks"] if not c["ok"]] == ["signature"]
    idp.clock.advance(3601)
    later = check(idp, {"token": token}).json()
    assert later["reason"].startswith("The token expired at ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The body must be an object such as"),
        ({"token": ""}, "The body must be an object such as"),
        ({"token": "a.b.c", "aud": "x"}, "aud: unknown field"),
        ({"token": "a.b.c", "audience": 3}, "audience: must be a string"),
        ({"token": "x" * 20000}, "token: longer than"),
    ],
)
def test_a_bad_token_check_says_what_to_fix(idp: MockIdP, body: dict, message: str) -> None:
    response = check(idp, body)
    assert response.status_code == 400 and response.json()["error_description"].startswith(message)


def test_the_journal_cursor_status_filter_and_timing(idp: MockIdP) -> None:
    client_credentials(idp)
    client_credentials(idp, "wrong")
    first = requests.get(f"{idp.control_url}/requests", timeout=10).json()
    ids = [entry["id"] for entry in first["requests"]]
    assert len(ids) == 2 and first["last_id"] == ids[-1]
    assert all(isinstance(entry["duration_ms"], float) and entry["duration_ms"] > 0 for entry in first["requests"])
    after = requests.get(f"{idp.control_url}/requests", params={"after": ids[0]}, timeout=10).json()
    assert [entry["id"] for entry in after["requests"]] == ids[1:]
    for status, count in (("4xx", 1), ("401", 1), ("2xx", 1), ("200", 1), ("5xx", 0), ("dropped", 0)):
        found = requests.get(f"{idp.control_url}/requests", params={"status": status}, timeout=10).json()["requests"]
        assert len(found) == count, status
    for bad in ({"status": "4x"}, {"status": "error"}, {"after": "-1"}, {"after": "x"}):
        response = requests.get(f"{idp.control_url}/requests", params=bad, timeout=10)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request", bad


def test_the_domain_overview(idp: MockIdP) -> None:
    overview = requests.get(f"{idp.control_url}/domain", timeout=10).json()
    assert overview["url"] == idp.url and overview["issuer"] == "https://identity.oraclecloud.com/"
    assert overview["discovery_url"] == idp.discovery_url and overview["jwks_url"] == idp.jwks_url
    assert "token" in overview["endpoints"] and "expired" in overview["defects"]
    assert "temporarily_unavailable" in overview["named_errors"]


def test_minted_tokens_carry_the_domain_url_not_the_control_plane_s(idp: MockIdP) -> None:
    claims = requests.post(f"{idp.control_url}/tokens", json={"client_id": SEED}, timeout=10).json()["claims"]
    assert claims["tenant_iss"] == idp.url  # was the control plane URL, idp.url + "/mockidp/v1"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "The body must be an object"),
        ({}, "client_id: is required"),
        ({"client_id": "nobody"}, "client_id: there is no client 'nobody'"),
        ({"client_id": SEED, "scope": 1}, "scope: must be a string"),
        ({"client_id": SEED, "redirect_uri": "https://evil.example.com/"}, "redirect_uri: unknown field"),
    ],
)
def test_a_bad_debugger_flow_says_what_to_fix(idp: MockIdP, body: object, message: str) -> None:
    response = requests.post(f"{idp.control_url}/console/flows", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["error_description"].startswith(message)


def test_debugger_flows_are_bounded_and_expire(idp: MockIdP) -> None:
    from mockidp.core.console.debugger import MAX_FLOWS, TTL

    for _ in range(MAX_FLOWS):
        assert requests.post(f"{idp.control_url}/console/flows", json={"client_id": SPA}, timeout=10).status_code == 201
    full = requests.post(f"{idp.control_url}/console/flows", json={"client_id": SPA}, timeout=10)
    assert full.status_code == 409 and "already under way" in full.json()["error_description"]
    idp.clock.advance(TTL + 1)
    assert requests.post(f"{idp.control_url}/console/flows", json={"client_id": SPA}, timeout=10).status_code == 201


def test_the_root_page_says_what_this_is_and_links_onwards(idp: MockIdP) -> None:
    page = requests.get(idp.url + "/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "offline stand-in for an OCI IAM identity domain" in page.text
    for path in ("/.well-known/openid-configuration", "/admin/v1/SigningCert/jwk", "/mockidp/console"):
        assert f'href="{idp.url}{path}"' in page.text, path
        assert requests.get(idp.url + path, timeout=10).status_code == 200, path


def test_retired_keys_are_listed_until_a_reset(idp: MockIdP) -> None:
    active = idp.rotate_keys()
    idp.retire_key("SIGNING_KEY")
    keys = requests.get(f"{idp.control_url}/keys", timeout=10).json()
    assert [k["kid"] for k in keys["keys"]] == [active]
    assert [k["kid"] for k in keys["retired"]] == ["SIGNING_KEY"]
    assert abs(keys["retired"][0]["retired_at"] - idp.clock.now()) < 5
    idp.reset()
    assert requests.get(f"{idp.control_url}/keys", timeout=10).json()["retired"] == []
