"""Apps, AppRoles, Grants and IdentityPropagationTrusts through the real OCI Python SDK (`IdentityDomainsClient`
with a bearer-token signer), each effect checked at the OAuth endpoints with a real client (Authlib, the SDK's own
`TokenExchangeSigner`). The SDK has no CustomClaims client: those are tested over raw requests."""

from __future__ import annotations

from collections.abc import Iterator

import oci
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from oci._vendor import requests as oci_requests
from oci.auth.signers import TokenExchangeSigner
from oci.identity_domains import IdentityDomainsClient, models

from mockidp.testing import MockIdP
from tests.admin_apps_support import (
    ADMIN,
    APP_SCHEMA,
    GRANT_SCHEMA,
    MY_SCOPES,
    PATCH_OP,
    TRUST_SCHEMA,
    Bearer,
    admin_fixtures,
    client_token,
)
from tests.conftest import ORDERS, SEED_USER
from tests.helpers import verify
from tests.s2s_support import Signer, claims, new_key, self_signed

# The SDK validates an API-key config even when a signer replaces it; these placeholders only pass that check.
PLACEHOLDER_CONFIG = {
    "region": "us-ashburn-1",
    "tenancy": "ocid1.tenancy.oc1..placeholder",
    "user": "ocid1.user.oc1..placeholder",
    "fingerprint": ":".join(["00"] * 16),
    "key_content": "unused: the bearer signer authenticates",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(admin_fixtures(tmp_path_factory.mktemp("sdk"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def client(idp: MockIdP) -> IdentityDomainsClient:
    return IdentityDomainsClient(
        PLACEHOLDER_CONFIG,
        service_endpoint=idp.url,
        signer=Bearer(client_token(idp, ADMIN)),
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )


def confidential_app(name: str, grants: list[str], scopes: list[str]) -> models.App:
    return models.App(
        schemas=[APP_SCHEMA],
        display_name=name,
        based_on_template=models.AppBasedOnTemplate(value="CustomWebAppTemplateId"),
        is_o_auth_client=True,
        client_type="confidential",
        allowed_grants=grants,
        allowed_scopes=[models.AppAllowedScopes(fqs=scope) for scope in scopes],
    )


def replace(path: str, value: object) -> models.PatchOp:
    return models.PatchOp(schemas=[PATCH_OP], operations=[models.Operations(op="REPLACE", path=path, value=value)])


def session_for(idp: MockIdP, app: models.App) -> OAuth2Session:
    return OAuth2Session(app.name, app.client_secret, token_endpoint=idp.token_url)


def test_list_apps_pages_with_the_sdk(client: IdentityDomainsClient) -> None:
    first = client.list_apps(limit=2)
    assert isinstance(first.data, models.Apps)
    assert len(first.data.resources) == 2
    assert first.headers["opc-next-page"]
    # Page on with the SDK's `page` argument and the opc-next-page header, as its callers do.
    everything, page = list(first.data.resources), first.headers["opc-next-page"]
    while page:
        response = client.list_apps(limit=2, page=page)
        everything += response.data.resources
        page = response.headers.get("opc-next-page")
    assert len(everything) == first.data.total_results
    names = {app.display_name for app in everything}
    assert {"Identity Domain", "Seed confidential app", "Public SPA", "Orders API"} <= names
    orders = next(app for app in everything if app.display_name == "Orders API")
    assert orders.is_o_auth_resource is True and orders.audience == ORDERS
    assert [scope.value for scope in orders.scopes] == ["read", "write"]


def test_create_app_then_tokens_then_patch_deactivates(idp: MockIdP, client: IdentityDomainsClient) -> None:
    app = client.create_app(app=confidential_app("SDK app", ["client_credentials"], [ORDERS + "read"])).data
    assert isinstance(app, models.App)
    assert app.client_secret.startswith("idcscs-")
    assert app.allowed_scopes[0].fqs == ORDERS + "read"

    token = session_for(idp, app).fetch_token(grant_type="client_credentials", scope=ORDERS + "read")
    assert verify(idp, token["access_token"], ORDERS)["client_guid"] == app.id

    patched = client.patch_app(app.id, patch_op=replace("active", False)).data
    assert patched.active is False
    with pytest.raises(OAuthError) as refused:
        session_for(idp, app).fetch_token(grant_type="client_credentials", scope=ORDERS + "read")
    assert refused.value.error == "invalid_client"

    assert client.get_app(app.id).data.active is False
    client.delete_app(app.id)
    with pytest.raises(oci.exceptions.ServiceError) as missing:
        client.get_app(app.id)
    assert missing.value.status == 404


def test_sdk_errors_carry_the_scim_detail(client: IdentityDomainsClient) -> None:
    bad = models.App(schemas=[APP_SCHEMA], display_name="No template", is_o_auth_client=True)
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        client.create_app(app=bad)
    assert refused.value.status == 400
    # The SDK keeps the SCIM body's members: the detail says what to fix.
    assert "Missing required attribute(s): basedOnTemplate." in str(refused.value)


def test_app_roles_and_grants_through_the_sdk(idp: MockIdP, client: IdentityDomainsClient) -> None:
    app = client.create_app(app=confidential_app("Grant target", ["client_credentials"], [])).data
    [role] = client.list_app_roles(filter='displayName eq "User Administrator"').data.resources
    assert isinstance(role, models.AppRole) and role.admin_role is True and role.app.value == "IDCSAppId"

    made = client.create_grant(
        grant=models.Grant(
            schemas=[GRANT_SCHEMA],
            grant_mechanism="ADMINISTRATOR_TO_APP",
            grantee=models.GrantGrantee(type="App", value=app.id),
            app=models.GrantApp(value="IDCSAppId"),
            entitlement=models.GrantEntitlement(attribute_name="appRoles", attribute_value=role.id),
        )
    ).data
    assert isinstance(made, models.Grant) and made.grantee.value == app.id
    listed = client.list_grants(filter=f'grantee.value eq "{app.id}"').data
    assert [grant.id for grant in listed.resources] == [made.id]

    token = session_for(idp, app).fetch_token(grant_type="client_credentials", scope=MY_SCOPES)
    access = verify(idp, token["access_token"], None)
    assert "urn:opc:idm:t.users" in access["scope"].split()
    assert access["clientAppRoles"] == ["User Administrator"]

    client.delete_grant(made.id)
    assert client.list_grants(filter=f'grantee.value eq "{app.id}"').data.total_results == 0
    with pytest.raises(OAuthError) as refused:
        session_for(idp, app).fetch_token(grant_type="client_credentials", scope=MY_SCOPES)
    assert refused.value.error == "invalid_scope"


def test_a_trust_made_with_the_sdk_lets_its_app_exchange_tokens(idp: MockIdP, client: IdentityDomainsClient) -> None:
    from cryptography.hazmat.primitives import serialization

    key = new_key()
    workload = Signer(key, None, self_signed(key, "sdk workload"))
    assert workload.cert is not None
    app = client.create_app(
        app=confidential_app("Exchanger", ["urn:ietf:params:oauth:grant-type:token-exchange"], [])
    ).data
    trust = client.create_identity_propagation_trust(
        identity_propagation_trust=models.IdentityPropagationTrust(
            schemas=[TRUST_SCHEMA],
            name="SDK workload",
            type="JWT",
            issuer="https://sdk-workload.example.net",
            public_certificate=workload.cert.public_bytes(serialization.Encoding.PEM).decode(),
            subject_claim_name="sub",
            subject_mapping_attribute="userName",
            subject_type="User",
            oauth_clients=[app.name],
            active=True,
        )
    ).data
    assert isinstance(trust, models.IdentityPropagationTrust) and trust.oauth_clients == [app.name]
    listed = client.list_identity_propagation_trusts(filter='name eq "SDK workload"').data.resources
    assert [t.id for t in listed] == [trust.id]

    def subject_token() -> str:
        return workload.sign(claims("https://sdk-workload.example.net", SEED_USER, "mockidp"))

    signer = TokenExchangeSigner(subject_token(), idp.url, app.name, app.client_secret)
    assert signer.security_token_container.get_jwt()["sub"] == SEED_USER

    patched = client.patch_identity_propagation_trust(trust.id, patch_op=replace("active", False)).data
    assert patched.active is False
    with pytest.raises(oci_requests.exceptions.HTTPError) as refused:
        TokenExchangeSigner(subject_token(), idp.url, app.name, app.client_secret)
    assert refused.value.response.json()["error"] == "invalid_grant"

    client.delete_identity_propagation_trust(trust.id)
    assert client.list_identity_propagation_trusts(filter='name eq "SDK workload"').data.total_results == 0
