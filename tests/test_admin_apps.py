"""`/admin/v1/Apps` on the raw SCIM surface, and what an App change does to the OAuth endpoints at once
(requests and Authlib as the OAuth clients; tokens verified with PyJWT against the JWKS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from mockidp.testing import MockIdP
from tests.admin_apps_support import (
    ADMIN,
    APP_SCHEMA,
    USER_ADMIN,
    Admin,
    admin_fixtures,
    assert_scim_error,
    new_app,
)
from tests.conftest import ORDERS, PASSWORD, SEED_CLIENT_ID, SEED_USER
from tests.helpers import assert_error, verify

ORDERS_APP_ID = "c7a3ad388931463f49bb2f779d4ab250"  # derived from the Orders API audience


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(admin_fixtures(tmp_path_factory.mktemp("apps"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def admin(idp: MockIdP) -> Admin:
    return Admin(idp)


def client_credentials(idp: MockIdP, client_id: str, secret: str, scope: str = ORDERS + "read") -> requests.Response:
    return requests.post(
        idp.token_url, data={"grant_type": "client_credentials", "scope": scope}, auth=(client_id, secret), timeout=10
    )


def by_name(admin: Admin, name: str) -> dict:
    [app] = admin.resources("Apps", filter=f'name eq "{name}"')
    return app


# ---------------------------------------------------------------------------------------------- reading


def test_fixture_clients_and_resources_are_apps(admin: Admin) -> None:
    seed = by_name(admin, SEED_CLIENT_ID)
    assert seed["schemas"] == [APP_SCHEMA]
    assert seed["displayName"] == "Seed confidential app"
    assert seed["isOAuthClient"] is True and seed["isOAuthResource"] is False
    assert seed["clientType"] == "confidential"
    assert seed["active"] is True
    assert seed["allowedGrants"] == ["authorization_code", "client_credentials", "refresh_token", "password"]
    assert seed["redirectUris"] == ["http://localhost:8001"]
    assert seed["postLogoutRedirectUris"] == ["http://localhost:8001"]
    assert seed["allowedScopes"] == [
        {"fqs": ORDERS + "read", "readOnly": False, "idOfDefiningApp": ORDERS_APP_ID},
        {"fqs": ORDERS + "write", "readOnly": False, "idOfDefiningApp": ORDERS_APP_ID},
    ]
    assert [role["display"] for role in seed["grantedAppRoles"]] == ["Authenticated Client"]
    assert "clientSecret" not in seed
    assert seed["meta"]["location"] == f"{admin.base}Apps/{seed['id']}"

    public = admin.ok(admin.get("Apps", params={"filter": 'displayName eq "Public SPA"'}))["Resources"][0]
    assert public["clientType"] == "public"
    assert public["basedOnTemplate"]["value"] == "CustomBrowserMobileTemplateId"

    orders = admin.ok(admin.get(f"Apps/{ORDERS_APP_ID}"))
    assert orders["isOAuthResource"] is True and orders["isOAuthClient"] is False
    assert orders["audience"] == ORDERS
    assert [(s["value"], s["fqs"]) for s in orders["scopes"]] == [
        ("read", ORDERS + "read"),
        ("write", ORDERS + "write"),
    ]

    own = admin.ok(admin.get("Apps/IDCSAppId"))
    assert own["isOPCService"] is True and own["name"] == "IDCSAppId"


def test_an_apps_id_is_the_client_guid_of_its_tokens(idp: MockIdP, admin: Admin) -> None:
    seed = by_name(admin, SEED_CLIENT_ID)
    token = client_credentials(idp, SEED_CLIENT_ID, "5ec4e132-6cb8-4499-97fe-0c444faff293").json()["access_token"]
    claims = verify(idp, token, ORDERS)
    assert claims["client_guid"] == seed["id"]
    assert claims["client_name"] == seed["displayName"]


def test_unknown_app_is_a_scim_404(admin: Admin) -> None:
    assert_scim_error(
        admin.get("Apps/0123456789abcdef0123456789abcdef"),
        404,
        "error.common.common.resourceNotFound",
        "Resource 0123456789abcdef0123456789abcdef of type App not found.",
    )


# ---------------------------------------------------------------------------------------------- effects on tokens


def test_a_created_app_gets_tokens_at_once_with_the_secret_of_the_answer(idp: MockIdP, admin: Admin) -> None:
    response = admin.post("Apps", new_app())
    created = admin.ok(response, 201)
    assert response.headers["Location"] == f"{admin.base}Apps/{created['id']}"
    secret = created["clientSecret"]
    assert secret.startswith("idcscs-")
    assert len(created["name"]) == 32
    assert created["idcsCreatedBy"]["type"] == "App"  # the admin client that called
    assert "clientSecret" not in admin.ok(admin.get(f"Apps/{created['id']}"))  # shown once

    # client_credentials with plain requests (Basic auth)
    answer = client_credentials(idp, created["name"], secret)
    assert answer.status_code == 200, answer.text
    claims = verify(idp, answer.json()["access_token"], ORDERS)
    assert claims["sub"] == created["name"] and claims["client_guid"] == created["id"]
    assert claims["client_name"] == "Billing service" and claims["scope"] == "read"

    # password grant with Authlib (client_secret_post)
    session = OAuth2Session(created["name"], secret, token_endpoint_auth_method="client_secret_post")
    token = session.fetch_token(
        idp.token_url, grant_type="password", username=SEED_USER, password=PASSWORD, scope=ORDERS + "read"
    )
    assert verify(idp, token["access_token"], ORDERS)["sub"] == SEED_USER

    assert_error(client_credentials(idp, created["name"], "idcscs-wrong"), 401, "invalid_client")


def test_deactivating_an_app_makes_its_token_requests_invalid_client(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app()), 201)
    patched = admin.ok(admin.patch(f"Apps/{created['id']}", {"op": "replace", "path": "active", "value": False}))
    assert patched["active"] is False
    assert_error(
        client_credentials(idp, created["name"], created["clientSecret"]),
        401,
        "invalid_client",
        "Client authentication failed.",
    )
    reason = [e for e in idp.requests() if e.endpoint == "token"][-1].reason
    assert reason == f"client {created['name']} is deactivated (its App has active: false)"
    admin.ok(admin.patch(f"Apps/{created['id']}", {"op": "replace", "path": "active", "value": True}))
    assert client_credentials(idp, created["name"], created["clientSecret"]).status_code == 200


def test_a_fixture_client_can_be_deactivated_too(idp: MockIdP, admin: Admin) -> None:
    seed = by_name(admin, SEED_CLIENT_ID)
    admin.ok(admin.patch(f"Apps/{seed['id']}", {"op": "replace", "path": "active", "value": False}))
    assert_error(client_credentials(idp, SEED_CLIENT_ID, "5ec4e132-6cb8-4499-97fe-0c444faff293"), 401, "invalid_client")
    page = requests.get(
        idp.authorize_url,
        params={
            "client_id": SEED_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": "http://localhost:8001",
            "scope": "openid",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 400 and "location" not in page.headers
    # A PUT keeps what App attributes do not show: the secret still works once active again.
    current = admin.ok(admin.get(f"Apps/{seed['id']}"))
    admin.ok(admin.put(f"Apps/{seed['id']}", {**current, "active": True}))
    assert client_credentials(idp, SEED_CLIENT_ID, "5ec4e132-6cb8-4499-97fe-0c444faff293").status_code == 200


def test_a_fixture_client_with_active_false_is_an_inactive_app(serve_fixtures) -> None:
    server = serve_fixtures(
        **{
            "domain.toml": f"""
            [[clients]]
            client_id = "{ADMIN[0]}"
            client_secret = "{ADMIN[1]}"
            app_roles = ["Identity Domain Administrator"]

            [[clients]]
            client_id = "dormant"
            client_secret = "idcscs-dormant"
            active = false
            """
        }
    )
    assert_error(
        client_credentials(server, "dormant", "idcscs-dormant", "urn:opc:idm:__myscopes__"), 401, "invalid_client"
    )
    admin = Admin(server)
    dormant = by_name(admin, "dormant")
    assert dormant["active"] is False
    admin.ok(admin.patch(f"Apps/{dormant['id']}", {"op": "replace", "path": "active", "value": True}))
    assert client_credentials(server, "dormant", "idcscs-dormant", "openid").status_code == 200


def test_patching_allowed_grants_and_redirect_uris_takes_effect(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(
        admin.post(
            "Apps",
            new_app(
                allowedGrants=["authorization_code", "password"],
                redirectUris=["http://localhost:9001/cb"],
                allowedScopes=[],
            ),
        ),
        201,
    )
    app_path = f"Apps/{created['id']}"

    def authorize(redirect_uri: str) -> requests.Response:
        params = {
            "client_id": created["name"],
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": "s",
        }
        return requests.get(idp.authorize_url, params=params, allow_redirects=False, timeout=10)

    def to_sign_in(response: requests.Response) -> bool:
        return response.status_code == 302 and "/ui/v1/signin" in response.headers["location"]

    assert to_sign_in(authorize("http://localhost:9001/cb"))
    assert authorize("http://localhost:9002/cb").status_code == 400  # not registered: an error page
    admin.ok(admin.patch(app_path, {"op": "add", "path": "redirectUris", "value": ["http://localhost:9002/cb"]}))
    assert to_sign_in(authorize("http://localhost:9002/cb"))

    password = {"grant_type": "password", "username": SEED_USER, "password": PASSWORD, "scope": "openid"}
    auth = (created["name"], created["clientSecret"])
    assert requests.post(idp.token_url, data=password, auth=auth, timeout=10).status_code == 200
    admin.ok(admin.patch(app_path, {"op": "replace", "path": "allowedGrants", "value": ["authorization_code"]}))
    assert_error(
        requests.post(idp.token_url, data=password, auth=auth, timeout=10),
        400,
        "unauthorized_client",
        "Client authorization failed.",
    )


def test_a_resource_app_defines_scopes_that_a_client_app_may_then_get(idp: MockIdP, admin: Admin) -> None:
    ledger = admin.ok(
        admin.post(
            "Apps",
            {
                "schemas": [APP_SCHEMA],
                "displayName": "Ledger API",
                "basedOnTemplate": {"value": "CustomWebAppTemplateId"},
                "isOAuthResource": True,
                "audience": "https://ledger.example.com/",
                "scopes": [{"value": "post"}, {"value": "audit"}],
            },
        ),
        201,
    )
    assert ledger["isOAuthClient"] is False and "clientSecret" not in ledger
    client = admin.ok(admin.post("Apps", new_app(allowedScopes=[{"fqs": "https://ledger.example.com/post"}])), 201)
    answer = client_credentials(idp, client["name"], client["clientSecret"], "https://ledger.example.com/post")
    claims = verify(idp, answer.json()["access_token"], "https://ledger.example.com/")
    assert claims["scope"] == "post"
    # The resource cannot go while a client is allowed its scopes.
    assert_scim_error(
        admin.delete(f"Apps/{ledger['id']}"),
        409,
        "error.common.common.resourceInUse",
        "Removing resource 'https://ledger.example.com/' would leave clients allowed undefined scopes; change those "
        f"clients first. client {client['name']} allows 'https://ledger.example.com/post'",
    )
    assert admin.delete(f"Apps/{client['id']}").status_code == 204
    assert admin.delete(f"Apps/{ledger['id']}").status_code == 204
    assert_error(
        client_credentials(idp, client["name"], client["clientSecret"], "https://ledger.example.com/post"),
        401,
        "invalid_client",
    )


def test_deleting_an_app_removes_its_client(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app()), 201)
    assert admin.delete(f"Apps/{created['id']}").status_code == 204
    assert_error(client_credentials(idp, created["name"], created["clientSecret"]), 401, "invalid_client")
    assert admin.get(f"Apps/{created['id']}").status_code == 404
    assert admin.delete(f"Apps/{created['id']}").status_code == 404


def test_the_control_plane_lists_apps_and_a_reset_undoes_them(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app()), 201)
    clients = {c["client_id"]: c for c in idp.control.call("GET", "/clients")["clients"]}
    assert clients[created["name"]]["source"] == "runtime"
    assert clients[created["name"]]["name"] == "Billing service"
    assert clients[created["name"]]["active"] is True
    idp.reset()
    assert_error(client_credentials(idp, created["name"], created["clientSecret"]), 401, "invalid_client")
    assert Admin(idp).get(f"Apps/{created['id']}").status_code == 404


def test_the_journal_never_shows_the_client_secret(idp: MockIdP, admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app()), 201)
    client_credentials(idp, created["name"], created["clientSecret"])
    journal = repr([entry.__dict__ for entry in idp.requests()])
    assert created["clientSecret"] not in journal


# ---------------------------------------------------------------------------------------------- errors

INVALID_VALUE = "error.common.validation.invalidValue"
INVALID_SYNTAX = "error.common.common.invalidSyntax"
MISSING = "error.common.validation.missingReqAttributes"


@pytest.mark.parametrize(
    ("body", "message_id", "detail"),
    [
        (
            {k: v for k, v in new_app().items() if k != "displayName"},
            MISSING,
            "Missing required attribute(s): displayName.",
        ),
        (
            {k: v for k, v in new_app().items() if k != "basedOnTemplate"},
            MISSING,
            "Missing required attribute(s): basedOnTemplate.",
        ),
        ({**new_app(), "schemas": ["urn:nope"]}, INVALID_SYNTAX, f'An App needs "schemas": ["{APP_SCHEMA}"].'),
        (
            new_app(allowedGrants=["client_credentials", "magic"]),
            INVALID_VALUE,
            "allowedGrants: unknown grant type 'magic'; known: authorization_code, client_credentials, refresh_token, "
            "password, implicit, urn:ietf:params:oauth:grant-type:jwt-bearer, "
            "urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange.",
        ),
        (
            new_app(allowedGrants=["authorization_code"], redirectUris=["localhost:3000"]),
            INVALID_VALUE,
            'redirectUris[0]: looks like host:port without a scheme; write e.g. "http://localhost:3000".',
        ),
        (
            new_app(allowedGrants=["authorization_code"]),
            INVALID_VALUE,
            "redirectUris: authorization_code and implicit need at least one redirect URI.",
        ),
        (
            new_app(allowedScopes=[{"fqs": "https://nowhere.example.com/read"}]),
            INVALID_VALUE,
            "allowedScopes[0]: 'https://nowhere.example.com/read' is not a scope of any resource; a fully "
            "qualified scope is the resource's audience followed by the scope value, e.g. "
            '"https://orders.example.com/read".',
        ),
        (
            new_app(clientType="public", allowedGrants=["client_credentials"]),
            INVALID_VALUE,
            "allowedGrants: a public client (no client_secret) cannot use client_credentials.",
        ),
        (
            new_app(clientType="trusted"),
            INVALID_VALUE,
            "clientType 'trusted' is not supported; use confidential or public (trusted clients authenticate with a "
            "certificate, which mockidp does not offer).",
        ),
        (
            new_app(allowedScopes=["https://orders.example.com/read"]),
            INVALID_VALUE,
            'allowedScopes must be a list of {"fqs": "<fully qualified scope>"}, e.g. '
            '[{"fqs": "https://orders.example.com/read"}].',
        ),
        (new_app(active="yes"), INVALID_VALUE, "active must be true or false, got 'yes'."),
        (
            new_app(isOAuthClient=False),
            INVALID_VALUE,
            "allowedGrants, redirectUris and clientType are for OAuth clients: set isOAuthClient to true.",
        ),
        (
            {k: v for k, v in new_app(isOAuthClient=False).items() if k not in ("allowedGrants", "clientType")},
            INVALID_VALUE,
            "mockidp keeps OAuth apps only: set isOAuthClient (a client that gets tokens) and/or isOAuthResource "
            "(an API with an audience and scopes) to true.",
        ),
        (
            new_app(samlServiceProvider={"value": "x"}),
            INVALID_SYNTAX,
            "'samlServiceProvider' is not an App attribute mockidp supports; it keeps OAuth clients and resources "
            "(active, allowedGrants, allowedScopes, audience, basedOnTemplate, clientType, description, displayName, "
            "isOAuthClient, isOAuthResource, name, postLogoutRedirectUris, redirectUris, scopes, secondaryAudiences) "
            "and shows isLoginTarget, showInMyApps, isMobileTarget, bypassConsent, allUrlSchemesAllowed, "
            "homePageUrl, landingPageUrl, privacyPolicyUrl, termsOfServiceUrl, contactEmailAddress, productName, "
            "appIcon, appThumbnail, trustScope.",
        ),
        (
            new_app(isOAuthResource=True),
            INVALID_VALUE,
            'An OAuth resource needs an audience, e.g. "https://orders.example.com/".',
        ),
        (
            new_app(name="has space"),
            INVALID_VALUE,
            "name 'has space' must be letters, digits, '.', '_' or '-' (it becomes the client_id).",
        ),
    ],
)
def test_every_bad_create_is_a_scim_400(admin: Admin, body: dict, message_id: str, detail: str) -> None:
    assert_scim_error(admin.post("Apps", body), 400, message_id, detail)


def test_a_taken_name_is_a_409(admin: Admin) -> None:
    assert_scim_error(
        admin.post("Apps", new_app(name=SEED_CLIENT_ID)),
        409,
        "error.common.validation.uniqueness",
        f"An App named {SEED_CLIENT_ID!r} exists already; choose another name or leave it out.",
        "uniqueness",
    )


def test_name_and_template_are_immutable(admin: Admin) -> None:
    seed = by_name(admin, SEED_CLIENT_ID)
    assert_scim_error(
        admin.put(f"Apps/{seed['id']}", {**seed, "name": "another"}),
        400,
        "error.common.validation.mutability",
        f"name is immutable: it is the App's client_id ({SEED_CLIENT_ID!r}); create a new App for another one.",
    )
    assert_scim_error(
        admin.put(f"Apps/{seed['id']}", {**seed, "clientType": "public"}),
        400,
        INVALID_VALUE,
        "clientType cannot change from 'confidential' to 'public'; create a new App instead.",
    )


def test_a_stale_if_match_is_a_412_and_the_etag_follows_changes(admin: Admin) -> None:
    created = admin.ok(admin.post("Apps", new_app()), 201)
    path = f"Apps/{created['id']}"
    etag = admin.get(path).headers["ETag"]
    changed = admin.call("PUT", path, {**created, "description": "v2"}, headers={"If-Match": etag})
    assert admin.ok(changed)["description"] == "v2"
    assert changed.headers["ETag"] != etag
    stale = admin.call("PUT", path, {**created, "description": "v3"}, headers={"If-Match": etag})
    assert_scim_error(stale, 412, "error.common.common.versionMismatch")


def test_filters_projection_and_search_work_on_apps(admin: Admin) -> None:
    found = admin.ok(
        admin.get("Apps", params={"filter": 'isOAuthClient eq true and clientType eq "public"', "attributes": "name"})
    )
    assert {app["name"] for app in found["Resources"]} == {
        "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f",
        "5d1f0c9e8b7a46e3a2c1b0f9e8d7c6b5",
    }
    assert all(set(app) == {"schemas", "id", "name"} for app in found["Resources"])  # and what is always returned
    searched = admin.post(
        "Apps/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'displayName co "SPA"'},
    )
    assert [app["displayName"] for app in admin.ok(searched)["Resources"]] == ["Public SPA"]


def test_the_domains_own_app_cannot_change(admin: Admin) -> None:
    own = admin.ok(admin.get("Apps/IDCSAppId"))
    for response in (admin.put("Apps/IDCSAppId", own), admin.delete("Apps/IDCSAppId")):
        assert_scim_error(
            response,
            403,
            "error.common.exception.insufficientScope",
            "IDCSAppId is the identity domain's own app; it cannot be changed or deleted.",
        )


def test_callers_without_the_app_scope_are_refused(idp: MockIdP) -> None:
    assert_scim_error(
        requests.get(idp.url + "/admin/v1/Apps", timeout=10),
        401,
        "error.common.exception.unauthorizedAccess",
        "Operation failed due to unauthorized access. Send an access token of this identity domain as "
        "Authorization: Bearer <token>.",
    )
    user_admin = Admin(idp, USER_ADMIN)
    body = assert_scim_error(user_admin.get("Apps"), 403, "error.common.exception.insufficientScope")
    assert "urn:opc:idm:t.app" in body["detail"]
    assert_scim_error(user_admin.post("Apps", new_app()), 403, "error.common.exception.insufficientScope")
