"""The admin API from a client's side, for the Apps / AppRoles / Grants / CustomClaims / IdentityPropagationTrusts
tests: a fixture directory with administrator clients, a Bearer token got with client_credentials, and the SCIM
error shape (idcs-reference §6)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import requests

from mockidp.testing import MockIdP

DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "default"
ADMIN = ("a1d0000000000000000000000000000a", "idcscs-0a1d0000-0000-4000-8000-00000000000a")
APP_ADMIN = ("a1d0000000000000000000000000000b", "idcscs-0a1d0000-0000-4000-8000-00000000000b")
USER_ADMIN = ("a1d0000000000000000000000000000c", "idcscs-0a1d0000-0000-4000-8000-00000000000c")
SECURITY_ADMIN = ("a1d0000000000000000000000000000d", "idcscs-0a1d0000-0000-4000-8000-00000000000d")
APP_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:App"
GRANT_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:Grant"
CLAIM_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:CustomClaim"
TRUST_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMAS = [
    "urn:ietf:params:scim:api:messages:2.0:Error",
    "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error",
]
MY_SCOPES = "urn:opc:idm:__myscopes__"

ADMIN_CLIENTS = f"""
[[clients]]
client_id = "{ADMIN[0]}"
client_secret = "{ADMIN[1]}"
name = "Domain admin automation"
grant_types = ["client_credentials"]
app_roles = ["Identity Domain Administrator"]

[[clients]]
client_id = "{APP_ADMIN[0]}"
client_secret = "{APP_ADMIN[1]}"
name = "App admin automation"
grant_types = ["client_credentials"]
app_roles = ["Application Administrator"]

[[clients]]
client_id = "{USER_ADMIN[0]}"
client_secret = "{USER_ADMIN[1]}"
name = "User admin automation"
grant_types = ["client_credentials"]
app_roles = ["User Administrator"]

[[clients]]
client_id = "{SECURITY_ADMIN[0]}"
client_secret = "{SECURITY_ADMIN[1]}"
name = "Security admin automation"
grant_types = ["client_credentials"]
app_roles = ["Security Administrator"]
"""


def admin_fixtures(directory: Path, extra: str = "") -> Path:
    """The shipped default fixtures plus the administrator clients (and `extra` TOML)."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in DEFAULT_FIXTURES.iterdir():
        shutil.copy(path, directory / path.name)
    (directory / "admins.toml").write_text(ADMIN_CLIENTS + extra)
    return directory


class Bearer(requests.auth.AuthBase):
    """`Authorization: Bearer <token>`: what the OCI SDK's `signer=` and plain requests both accept."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def client_token(idp: MockIdP, client: tuple[str, str], scope: str = MY_SCOPES) -> str:
    response = requests.post(
        idp.token_url, data={"grant_type": "client_credentials", "scope": scope}, auth=client, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class Admin:
    """The SCIM surface over plain requests with a Bearer token."""

    def __init__(self, idp: MockIdP, client: tuple[str, str] = ADMIN) -> None:
        self.base = idp.url + "/admin/v1/"
        self.auth = Bearer(client_token(idp, client))

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        headers = {"Content-Type": "application/scim+json"} if body is not None else {}
        headers.update(kwargs.pop("headers", {}))
        return requests.request(
            method, self.base + path, json=body, auth=self.auth, headers=headers, timeout=10, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.call("PUT", path, body)

    def patch(self, path: str, *operations: dict[str, Any]) -> requests.Response:
        return self.call("PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)})

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)

    def ok(self, response: requests.Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/scim+json")
        return response.json()

    def resources(self, endpoint: str, **params: str) -> list[dict[str, Any]]:
        return self.ok(self.get(endpoint, params={"count": "1000", **params}))["Resources"]


def assert_scim_error(
    response: requests.Response, status: int, message_id: str, detail: str | None = None, scim_type: str | None = None
) -> dict[str, Any]:
    """The SCIM error shape exactly: schemas, detail, status as a string, the Oracle messageId (+ scimType)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert set(body) - {"scimType"} == {"schemas", "detail", "status", ERROR_SCHEMAS[1]}, body
    assert body["schemas"] == ERROR_SCHEMAS
    assert body["status"] == str(status)
    assert body[ERROR_SCHEMAS[1]] == {"messageId": message_id}, body
    if scim_type is not None:
        assert body["scimType"] == scim_type
    if detail is not None:
        assert body["detail"] == detail, body["detail"]
    return body


def new_app(**attributes: Any) -> dict[str, Any]:
    """A create body for a confidential OAuth client App (attributes override)."""
    return {
        "schemas": [APP_SCHEMA],
        "displayName": "Billing service",
        "basedOnTemplate": {"value": "CustomWebAppTemplateId"},
        "isOAuthClient": True,
        "clientType": "confidential",
        "allowedGrants": ["client_credentials", "password"],
        "allowedScopes": [{"fqs": "https://orders.example.com/read"}],
        **attributes,
    }
