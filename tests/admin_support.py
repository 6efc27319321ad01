"""The admin-API test domain: an administrator client, a user administrator, plain users, groups; tokens for them."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import requests

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP

ADMIN_CLIENT, ADMIN_SECRET = "a0d1c2e3f4a5b6c7d8e9f0a1b2c3d4e5", "admin-secret"  # Identity Domain Administrator
APP_CLIENT, APP_SECRET = "b1b2b3b4b5b6b7b8b9b0b1b2b3b4b5b6", "app-secret"  # only "Authenticated Client"
CALLBACK = "http://localhost:8001/callback"
ALICE, DAVE, ERIN = "alice@example.com", "dave@example.com", "erin@example.com"
ALICE_ID = "0123456789abcdef0123456789abcdef"
ALICE_OCID = "ocid1.user.oc1..aaaaaaaaalicealicealicealicealicealicealicealicealicealice"
PASSWORD = "Welcome1!"
SCIM = "application/scim+json"
ERROR_SCHEMAS = [
    "urn:ietf:params:scim:api:messages:2.0:Error",
    "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error",
]
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_EXTENSION = "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User"
GROUP_EXTENSION = "urn:ietf:params:scim:schemas:oracle:idcs:extension:group:Group"

FIXTURES = {
    "domain.toml": """
        [domain]
        tenant = "idcs-5c1e0000000000000000000000000001"
    """,
    "clients.toml": f"""
        [[clients]]
        client_id = "{ADMIN_CLIENT}"
        client_secret = "{ADMIN_SECRET}"
        name = "Provisioning service"
        grant_types = ["client_credentials", "password", "refresh_token", "authorization_code"]
        redirect_uris = ["{CALLBACK}"]
        app_roles = ["Identity Domain Administrator"]

        [[clients]]
        client_id = "{APP_CLIENT}"
        client_secret = "{APP_SECRET}"
        name = "Ordinary app"
        grant_types = ["client_credentials", "password", "refresh_token", "authorization_code"]
        redirect_uris = ["{CALLBACK}"]
        app_roles = ["Authenticated Client"]
    """,
    "users.toml": f"""
        [[users]]
        user_name = "{ALICE}"
        id = "{ALICE_ID}"
        ocid = "{ALICE_OCID}"
        password = "{PASSWORD}"
        name = "Alice Admin"
        given_name = "Alice"
        family_name = "Admin"
        email = "{ALICE}"
        app_roles = ["User Administrator"]

        [[users]]
        user_name = "{DAVE}"
        password = "{PASSWORD}"
        name = "Dave Doe"
        given_name = "Dave"
        family_name = "Doe"
        email = "{DAVE}"
        groups = ["Developers"]

        [[users]]
        user_name = "{ERIN}"
        password = "{PASSWORD}"
        name = "Erin Example"
        given_name = "Erin"
        family_name = "Example"
        email = "erin@corp.example.org"
        active = false

        [[groups]]
        display_name = "Auditors"
        description = "People who read the books"
        members = ["{DAVE}", "{ALICE}"]
    """,
}


def write_admin_fixtures(directory: Path) -> Path:
    for name, text in FIXTURES.items():
        (directory / name).write_text(textwrap.dedent(text))
    shutil.copy(default_fixtures() / "signing-key.pem", directory / "signing-key.pem")
    return directory


def client_token(idp: MockIdP, client: str = ADMIN_CLIENT, secret: str = ADMIN_SECRET, scope: str | None = None) -> str:
    response = requests.post(
        idp.token_url,
        auth=(client, secret),
        data={"grant_type": "client_credentials", "scope": scope or "urn:opc:idm:__myscopes__"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def user_tokens(
    idp: MockIdP,
    user: str,
    password: str = PASSWORD,
    scope: str = "urn:opc:idm:__myscopes__",
    client: tuple[str, str] = (APP_CLIENT, APP_SECRET),
) -> requests.Response:
    return requests.post(
        idp.token_url,
        auth=client,
        data={"grant_type": "password", "username": user, "password": password, "scope": scope},
        timeout=10,
    )


def user_token(idp: MockIdP, user: str, scope: str = "urn:opc:idm:__myscopes__", **kwargs: Any) -> str:
    response = user_tokens(idp, user, scope=scope, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class Admin:
    """requests against /admin/v1 with one bearer token."""

    def __init__(self, idp: MockIdP, token: str | None) -> None:
        self.base = f"{idp.url}/admin/v1"
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, f"{self.base}/{path.lstrip('/')}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self("PUT", path, json=body, **kwargs)

    def patch(self, path: str, *operations: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self("PATCH", path, json={"schemas": [PATCH_OP], "Operations": list(operations)}, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self("DELETE", path, **kwargs)


def new_user(user_name: str, family: str = "Newman", **more: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": user_name.split("@")[0].title(), "familyName": family},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        **more,
    }


def scim_error(response: requests.Response, status: int, message_id: str, scim_type: str | None = None) -> str:
    """Assert the SCIM error shape exactly (idcs-reference §6); returns the detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM), response.headers
    body = response.json()
    expected = {"schemas", "detail", "status", ERROR_SCHEMAS[1]} | ({"scimType"} if scim_type else set())
    assert set(body) == expected, body
    assert body["schemas"] == ERROR_SCHEMAS
    assert body["status"] == str(status)
    assert body[ERROR_SCHEMAS[1]] == {"messageId": message_id}
    assert body.get("scimType") == scim_type
    assert body["detail"].endswith("."), body["detail"]
    return body["detail"]
