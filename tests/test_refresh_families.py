"""Refresh tokens as RFC 6749 §6, RFC 7009 and the OAuth security BCP say: the original scope is kept, rotation makes
them single use with reuse detection, and revoking one revokes what was issued from its grant."""

from __future__ import annotations

import threading
from collections.abc import Callable

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from conftest import ORDERS, PASSWORD, SEED_CLIENT_ID, SEED_CLIENT_SECRET, SEED_USER
from helpers import assert_error
from helpers import password_tokens as _password_tokens

from mockidp.testing import MockIdP

AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)
FULL = f"openid offline_access {ORDERS}read {ORDERS}write"


def password_tokens(idp: MockIdP, scope: str = FULL, auth: tuple[str, str] = AUTH) -> dict:
    return _password_tokens(idp, scope, auth=auth)


def refresh(idp: MockIdP, token: str, scope: str | None = None, auth: tuple[str, str] = AUTH) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if scope is not None:
        data["scope"] = scope
    return requests.post(idp.token_url, auth=auth, data=data, timeout=10)


def scope_of(access_token: str) -> set[str]:
    return set(jwt.decode(access_token, options={"verify_signature": False})["scope"].split())


def userinfo_status(idp: MockIdP, access_token: str) -> int:
    return requests.get(idp.userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10).status_code


def test_a_narrow_refresh_keeps_the_full_scope_for_the_next(mockidp: MockIdP) -> None:
    # oidc-agent refreshes with a narrow scope and then with the full one: both must work (RFC 6749 §6).
    first = password_tokens(mockidp)
    narrow = refresh(mockidp, first["refresh_token"], scope=f"{ORDERS}read")
    assert narrow.status_code == 200, narrow.text
    assert scope_of(narrow.json()["access_token"]) == {"read"}
    assert "id_token" not in narrow.json()  # openid was not asked this time
    full = refresh(mockidp, narrow.json()["refresh_token"], scope=FULL)
    assert full.status_code == 200, full.text
    assert scope_of(full.json()["access_token"]) >= {"read", "write", "openid"}
    # Without a scope, a refresh gets the original grant back.
    again = refresh(mockidp, full.json()["refresh_token"])
    assert scope_of(again.json()["access_token"]) == scope_of(full.json()["access_token"])


def test_authlib_refreshes_narrow_then_full(mockidp: MockIdP) -> None:
    session = OAuth2Session(SEED_CLIENT_ID, SEED_CLIENT_SECRET, scope=FULL)
    token = session.fetch_token(mockidp.token_url, username=SEED_USER, password=PASSWORD)
    narrow = session.refresh_token(mockidp.token_url, refresh_token=token["refresh_token"], scope=f"{ORDERS}read")
    assert scope_of(narrow["access_token"]) == {"read"}
    full = session.refresh_token(mockidp.token_url, refresh_token=narrow["refresh_token"], scope=FULL)
    assert "write" in scope_of(full["access_token"])


def test_a_refresh_cannot_widen_the_original_grant(mockidp: MockIdP) -> None:
    first = password_tokens(mockidp, scope=f"offline_access {ORDERS}read")
    assert_error(refresh(mockidp, first["refresh_token"], scope=f"{ORDERS}write"), 400, "invalid_scope")


def test_without_rotation_a_refresh_token_can_be_used_again(mockidp: MockIdP) -> None:
    token = password_tokens(mockidp)["refresh_token"]
    assert refresh(mockidp, token).status_code == 200
    assert refresh(mockidp, token).status_code == 200  # off by default [choice]


@pytest.fixture
def rotating(mockidp: MockIdP) -> Callable[[], tuple[str, str]]:
    """A run-time confidential client whose refresh tokens rotate; returns its (client_id, secret)."""

    def make() -> tuple[str, str]:
        client_id, secret = "a1b2c3d4e5f60718293a4b5c6d7e8f90", "rotating-secret"
        mockidp.add_client(
            client_id,
            client_secret=secret,
            grant_types=["password", "refresh_token"],
            allowed_scopes=[f"{ORDERS}read", f"{ORDERS}write"],
            refresh_token_rotation=True,
        )
        return client_id, secret

    return make


def test_rotation_makes_a_refresh_token_single_use_and_reuse_revokes_the_family(
    mockidp: MockIdP, rotating: Callable[[], tuple[str, str]]
) -> None:
    auth = rotating()
    first = password_tokens(mockidp, auth=auth)
    second = refresh(mockidp, first["refresh_token"], auth=auth)
    assert second.status_code == 200, second.text
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    third = refresh(mockidp, second_tokens["refresh_token"], auth=auth).json()
    assert userinfo_status(mockidp, third["access_token"]) == 200

    # The first token again: a thief or a confused client. Refused, and every token of the family is revoked.
    reuse = refresh(mockidp, first["refresh_token"], auth=auth)
    assert_error(reuse, 400, "invalid_grant")
    assert "already been used" in reuse.json()["error_description"]
    assert_error(refresh(mockidp, third["refresh_token"], auth=auth), 400, "invalid_grant")
    for access_token in (first["access_token"], second_tokens["access_token"], third["access_token"]):
        assert userinfo_status(mockidp, access_token) == 401
    introspected = requests.post(
        mockidp.introspect_url, auth=auth, data={"token": third["refresh_token"]}, timeout=10
    ).json()
    assert introspected == {"active": False}
    # Another sign-in is another family: unaffected.
    other = password_tokens(mockidp, auth=auth)
    assert refresh(mockidp, other["refresh_token"], auth=auth).status_code == 200


def test_twenty_concurrent_uses_of_a_rotating_refresh_token_one_wins(
    mockidp: MockIdP, rotating: Callable[[], tuple[str, str]]
) -> None:
    auth = rotating()
    token = password_tokens(mockidp, auth=auth)["refresh_token"]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def use() -> None:
        with requests.Session() as session:
            session.get(mockidp.discovery_url, timeout=10)  # connect before the barrier, to start together
            barrier.wait(timeout=10)
            response = session.post(
                mockidp.token_url,
                auth=auth,
                data={"grant_type": "refresh_token", "refresh_token": token},
                timeout=30,
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=use) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] + [400] * 19


def test_revoking_a_refresh_token_revokes_its_descendants_and_their_access_tokens(mockidp: MockIdP) -> None:
    first = password_tokens(mockidp)
    child = refresh(mockidp, first["refresh_token"]).json()
    grandchild = refresh(mockidp, child["refresh_token"]).json()
    unrelated = password_tokens(mockidp)

    response = requests.post(mockidp.revoke_url, auth=AUTH, data={"token": child["refresh_token"]}, timeout=10)
    assert response.status_code == 200
    for token in (first, child, grandchild):
        assert_error(refresh(mockidp, token["refresh_token"]), 400, "invalid_grant")
        assert userinfo_status(mockidp, token["access_token"]) == 401
    assert refresh(mockidp, unrelated["refresh_token"]).status_code == 200
    assert userinfo_status(mockidp, unrelated["access_token"]) == 200


def test_rotation_is_a_domain_setting_too(serve_fixtures: Callable[..., MockIdP]) -> None:
    idp = serve_fixtures(
        **{
            "domain.toml": """
                [domain]
                refresh_token_rotation = true
                [[resources]]
                name = "Orders API"
                audience = "https://orders.example.com/"
                scopes = ["read"]
                [[clients]]
                client_id = "rot"
                client_secret = "s"
                grant_types = ["password", "refresh_token"]
                allowed_scopes = ["https://orders.example.com/read"]
                [[clients]]
                client_id = "norot"
                client_secret = "s"
                grant_types = ["password", "refresh_token"]
                allowed_scopes = ["https://orders.example.com/read"]
                refresh_token_rotation = false
                [[users]]
                user_name = "user@example.com"
                password = "Welcome1!"
            """
        }
    )
    for client_id, reusable in (("rot", False), ("norot", True)):
        auth = (client_id, "s")
        token = password_tokens(idp, scope=f"offline_access {ORDERS}read", auth=auth)["refresh_token"]
        assert refresh(idp, token, auth=auth).status_code == 200
        assert (refresh(idp, token, auth=auth).status_code == 200) is reusable
