"""Users, clients and resources changed at run time: usable at once, checked like fixtures, gone on reset."""

from __future__ import annotations

import jwt
import pytest
import requests
from conftest import ORDERS, PASSWORD, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER

from mockidp.core.fixtures import check_fixtures
from mockidp.testing import ControlPlaneError, MockIdP

NEW_ID = "aa11bb22cc33dd44ee55ff6600112233"
NEW_SECRET = "idcscs-0b8c8a4e-2f57-4a8c-9d7e-2f0c1b7f3d11"
INVOICES = "https://invoices.example.com/"


def client_credentials(idp: MockIdP, client_id: str, secret: str, scope: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": scope}
    return requests.post(idp.token_url, data=data, auth=(client_id, secret), timeout=10)


def test_a_client_added_at_run_time_works_at_once_and_not_after_removal(mockidp: MockIdP) -> None:
    added = mockidp.add_client(
        NEW_ID,
        client_secret=NEW_SECRET,
        name="Batch job",
        grant_types=["client_credentials"],
        allowed_scopes=[ORDERS + "read"],
        app_roles=["Authenticated Client"],
    )
    assert added["source"] == "runtime" and "client_secret" not in added
    response = client_credentials(mockidp, NEW_ID, NEW_SECRET, ORDERS + "read")
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert (claims["client_id"], claims["client_name"], claims["aud"]) == (NEW_ID, "Batch job", ORDERS)

    mockidp.remove_client(NEW_ID)
    response = client_credentials(mockidp, NEW_ID, NEW_SECRET, ORDERS + "read")
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert mockidp.requests("token")[-1].reason == f"no client with client_id {NEW_ID!r} in this domain"


def test_a_fixture_client_can_be_replaced_and_removed_until_reset(mockidp: MockIdP) -> None:
    mockidp.add_client(
        SEED_CLIENT_ID,
        client_secret="rotated-secret",
        grant_types=["client_credentials"],
        allowed_scopes=[ORDERS + "read"],
    )
    assert client_credentials(mockidp, SEED_CLIENT_ID, SEED_CLIENT_SECRET, ORDERS + "read").status_code == 401
    assert client_credentials(mockidp, SEED_CLIENT_ID, "rotated-secret", ORDERS + "read").status_code == 200
    mockidp.remove_client(SEED_CLIENT_ID)
    assert client_credentials(mockidp, SEED_CLIENT_ID, "rotated-secret", ORDERS + "read").status_code == 401
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.remove_client(SEED_CLIENT_ID)
    assert raised.value.status == 404
    mockidp.reset()
    assert client_credentials(mockidp, SEED_CLIENT_ID, SEED_CLIENT_SECRET, ORDERS + "read").status_code == 200


def test_a_user_added_at_run_time_signs_in_and_has_userinfo(mockidp: MockIdP) -> None:
    mockidp.add_user("carol@example.com", password="S3cret!", name="Carol C", email="carol@example.com", groups=["Ops"])
    data = {
        "grant_type": "password",
        "username": "carol@example.com",
        "password": "S3cret!",
        "scope": "openid profile groups",
    }
    token = requests.post(mockidp.token_url, data=data, auth=(SEED_CLIENT_ID, SEED_CLIENT_SECRET), timeout=10).json()
    info = requests.get(mockidp.userinfo_url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert (info.json()["name"], [g["displayName"] for g in info.json()["groups"]]) == ("Carol C", ["Ops"])
    listed = {u["user_name"]: u for u in requests.get(mockidp.control_url + "/users", timeout=10).json()["users"]}
    assert listed["carol@example.com"]["source"] == "runtime" and "password" not in listed["carol@example.com"]
    assert listed[SEED_USER]["source"] == "fixtures"

    mockidp.remove_user("carol@example.com")
    info = requests.get(mockidp.userinfo_url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert info.status_code == 401  # the user of the token is gone
    response = requests.post(mockidp.token_url, data=data, auth=(SEED_CLIENT_ID, SEED_CLIENT_SECRET), timeout=10)
    assert response.json()["error"] == "invalid_grant"


def test_a_resource_added_at_run_time_defines_scopes(mockidp: MockIdP) -> None:
    mockidp.add_resource(INVOICES, name="Invoices API", scopes=["read"])
    mockidp.add_client(
        NEW_ID, client_secret=NEW_SECRET, allowed_scopes=[INVOICES + "read"], redirect_uris=["http://localhost/cb"]
    )
    response = client_credentials(mockidp, NEW_ID, NEW_SECRET, INVOICES + "read")
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert (claims["aud"], claims["scope"]) == (INVOICES, "read")
    # In use: refused, saying by whom; once the client is gone, the resource can go.
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.remove_resource(INVOICES)
    assert raised.value.status == 409 and raised.value.problems == [f"client {NEW_ID} allows '{INVOICES}read'"]
    mockidp.remove_client(NEW_ID)
    mockidp.remove_resource(INVOICES)
    response = client_credentials(mockidp, SEED_CLIENT_ID, SEED_CLIENT_SECRET, INVOICES + "read")
    assert response.json()["error"] == "invalid_scope"


def test_a_resource_scope_cannot_belong_to_two_resources(mockidp: MockIdP) -> None:
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.add_resource(ORDERS, name="Orders API", scopes=["read"])  # drops "write", which the seed client allows
    assert raised.value.status == 409
    mockidp.add_resource(ORDERS, name="Orders API v2", scopes=["read", "write", "admin"])
    names = {
        r["audience"]: r["name"]
        for r in requests.get(mockidp.control_url + "/resources", timeout=10).json()["resources"]
    }
    assert names[ORDERS] == "Orders API v2"


CLIENT_TOML = """
[[clients]]
client_id = "{client_id}"
grant_types = ["client_credentials", "authorization_code", "teleport"]
redirect_uris = ["/relative"]
allowed_scopes = ["https://nowhere.example.com/read"]
colour = "blue"
"""


def test_run_time_entries_are_checked_exactly_like_fixtures(mockidp: MockIdP, write_fixtures) -> None:
    directory = write_fixtures(**{"clients.toml": CLIENT_TOML.format(client_id=NEW_ID)})
    from_files = sorted(
        str(p).split(": ", 1)[1].replace("clients[0].", "client.")
        for p in check_fixtures(directory)
        if "clients[0]" in str(p)
    )
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.add_client(
            NEW_ID,
            grant_types=["client_credentials", "authorization_code", "teleport"],
            redirect_uris=["/relative"],
            allowed_scopes=["https://nowhere.example.com/read"],
            colour="blue",
        )
    from_request = sorted(p.split(": ", 1)[1] for p in raised.value.problems)
    assert raised.value.status == 400
    assert from_request == from_files
    assert any("unknown grant type 'teleport'" in p for p in raised.value.problems)
    assert any("colour: unknown key" in p for p in raised.value.problems)


def test_client_problems_beyond_types_are_refused_too(mockidp: MockIdP) -> None:
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.add_client(NEW_ID, grant_types=["client_credentials"])  # public (no secret) + client_credentials
    assert raised.value.problems == [
        "body: client.grant_types: a public client (no client_secret) cannot use client_credentials"
    ]
    response = requests.put(
        mockidp.control_url + f"/clients/{NEW_ID}", json={"client_id": "someone-else", "client_secret": "x"}, timeout=10
    )
    assert response.status_code == 400 and "but the URL names" in response.json()["error_description"]
    with pytest.raises(ControlPlaneError) as raised:
        mockidp.add_user("dave@example.com", claims={"sub": "root"})
    assert "set by the domain itself" in raised.value.description


def test_entries_list_without_secrets(mockidp: MockIdP) -> None:
    listing = requests.get(mockidp.control_url + "/clients", timeout=10).text
    assert (
        SEED_CLIENT_SECRET not in listing
        and PASSWORD not in requests.get(mockidp.control_url + "/users", timeout=10).text
    )
    one = requests.get(mockidp.control_url + f"/clients/{SEED_CLIENT_ID}", timeout=10).json()
    assert (one["confidential"], one["source"]) == (True, "fixtures")
    assert requests.get(mockidp.control_url + "/users/nobody@example.com", timeout=10).status_code == 404
