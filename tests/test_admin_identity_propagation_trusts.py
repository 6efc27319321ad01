"""`/admin/v1/IdentityPropagationTrusts` on the raw SCIM surface, and a created or changed trust governing the next
token exchange: the real OCI SDK's `TokenExchangeSigner` (UPST) and raw RFC 8693 / jwt-bearer requests."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from oci._vendor import requests as oci_requests
from oci.auth.signers import TokenExchangeSigner

from mockidp.core import ids
from mockidp.testing import MockIdP
from tests.admin_apps_support import ADMIN_CLIENTS, APP_ADMIN, SECURITY_ADMIN, TRUST_SCHEMA, Admin, assert_scim_error
from tests.s2s_support import (
    ALICE,
    CI_ISSUER,
    KEY_CLIENT,
    KEY_CLIENT_SECRET,
    OTHER_CLIENT,
    OTHER_SECRET,
    PARTNER_ISSUER,
    SERVICE_USER,
    Keys,
    Signer,
    claims,
    make_keys,
    new_key,
    self_signed,
    write_fixture_dir,
)

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
WORKLOAD_ISSUER = "https://workload.example.net"
INVALID_VALUE = "error.common.validation.invalidValue"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return make_keys()


@pytest.fixture(scope="module")
def workload() -> Signer:
    """A new issuer's key with its certificate: what an administrator registers as publicCertificate."""
    key = new_key()
    return Signer(key, None, self_signed(key, "workload identity"))


@pytest.fixture(scope="module")
def server(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    directory: Path = write_fixture_dir(tmp_path_factory.mktemp("trusts"), keys, extra=ADMIN_CLIENTS)
    with MockIdP(directory) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def admin(idp: MockIdP) -> Admin:
    return Admin(idp, SECURITY_ADMIN)


def certificate_pem(signer: Signer) -> str:
    assert signer.cert is not None
    return signer.cert.public_bytes(serialization.Encoding.PEM).decode()


def trust_body(signer: Signer, **attributes: object) -> dict:
    return {
        "schemas": [TRUST_SCHEMA],
        "name": "Workload identity",
        "type": "JWT",
        "issuer": WORKLOAD_ISSUER,
        "publicCertificate": certificate_pem(signer),
        "subjectClaimName": "sub",
        "subjectMappingAttribute": "userName",
        "subjectType": "User",
        "oauthClients": [KEY_CLIENT],
        "active": True,
        **attributes,
    }


def exchange(idp: MockIdP, subject_token: str, auth: tuple[str, str] = (KEY_CLIENT, KEY_CLIENT_SECRET)):
    data = {
        "grant_type": EXCHANGE,
        "subject_token": subject_token,
        "subject_token_type": "jwt",
        "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "scope": "openid",
    }
    return requests.post(idp.token_url, data=data, auth=auth, timeout=10)


def workload_token(signer: Signer, sub: str = ALICE) -> str:
    return signer.sign(claims(WORKLOAD_ISSUER, sub, "mockidp"))


def by_name(admin: Admin, name: str) -> dict:
    [trust] = admin.resources("IdentityPropagationTrusts", filter=f'name eq "{name}"')
    return trust


def test_fixture_trusts_are_identity_propagation_trusts(admin: Admin) -> None:
    ci = by_name(admin, "CI pipelines")
    assert ci["schemas"] == [TRUST_SCHEMA]
    assert ci["issuer"] == CI_ISSUER and ci["type"] == "JWT" and ci["active"] is True
    assert ci["oauthClients"] == [KEY_CLIENT, "6c1d7c3c2b0e4a1f9d8e7f6a5b4c3d2e"]
    assert ci["clientClaimName"] == "aud" and ci["clientClaimValues"] == ["mockidp"]
    assert ci["allowImpersonation"] is True
    assert ci["impersonationServiceUsers"] == [
        {"rule": "repository eq 'acme/app' and ref sw 'refs/heads/'", "value": ids.stable_guid("user", SERVICE_USER)}
    ]
    partner = by_name(admin, "Partner IdP")
    assert (partner["subjectClaimName"], partner["subjectMappingAttribute"]) == ("email", "email")
    own = by_name(admin, "This domain")
    assert own["issuer"] == "https://identity.oraclecloud.com/"
    assert admin.ok(admin.get(f"IdentityPropagationTrusts/{ci['id']}")) == ci


def test_a_created_trust_governs_the_next_exchange_through_the_oci_sdk(idp: MockIdP, admin: Admin, workload) -> None:
    answer = exchange(idp, workload_token(workload))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"

    response = admin.post("IdentityPropagationTrusts", trust_body(workload))
    created = admin.ok(response, 201)
    assert response.headers["Location"] == f"{admin.base}IdentityPropagationTrusts/{created['id']}"
    assert created["publicCertificate"] == certificate_pem(workload)

    signer = TokenExchangeSigner(workload_token(workload), idp.url, KEY_CLIENT, KEY_CLIENT_SECRET)
    upst = signer.security_token_container.security_token
    assert signer.security_token_container.get_jwt()["sub"] == ALICE
    assert upst
    assert exchange(idp, workload_token(workload)).status_code == 200
    # oauthClients limits who may use it.
    refused = exchange(idp, workload_token(workload), auth=(OTHER_CLIENT, OTHER_SECRET))
    assert refused.status_code == 400
    assert refused.json()["error_description"] == (
        f"Client {OTHER_CLIENT} may not use trust 'Workload identity'; it is limited to clients {KEY_CLIENT}."
    )


def test_a_base64_der_certificate_works_for_jwt_bearer_too(idp: MockIdP, admin: Admin, workload) -> None:
    assert workload.cert is not None
    der = base64.b64encode(workload.cert.public_bytes(serialization.Encoding.DER)).decode()
    admin.ok(admin.post("IdentityPropagationTrusts", trust_body(workload, publicCertificate=der)), 201)
    answer = requests.post(
        idp.token_url,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": workload.sign(claims(WORKLOAD_ISSUER, ALICE, idp.issuer)),
            "scope": "openid",
        },
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_deactivating_changing_and_deleting_trusts_take_effect(idp: MockIdP, admin: Admin, workload) -> None:
    created = admin.ok(admin.post("IdentityPropagationTrusts", trust_body(workload)), 201)
    path = f"IdentityPropagationTrusts/{created['id']}"
    admin.ok(admin.patch(path, {"op": "replace", "path": "active", "value": False}))
    answer = exchange(idp, workload_token(workload))
    assert answer.status_code == 400 and answer.json()["error_description"].startswith("Untrusted issuer")
    admin.ok(admin.patch(path, {"op": "replace", "path": "active", "value": True}))
    assert exchange(idp, workload_token(workload)).status_code == 200
    admin.ok(admin.patch(path, {"op": "replace", "path": "subjectMappingAttribute", "value": "email"}))
    answer = exchange(idp, workload_token(workload, sub="nobody@example.com"))
    assert answer.json()["error_description"] == (
        "The subject_token's sub claim is 'nobody@example.com', but no user of this identity domain has that email."
    )
    assert admin.delete(path).status_code == 204
    assert exchange(idp, workload_token(workload)).json()["error_description"].startswith("Untrusted issuer")


def test_a_fixture_trust_can_be_changed_and_deleted_until_a_reset(idp: MockIdP, admin: Admin, keys: Keys) -> None:
    partner_token = keys.partner.sign(claims(PARTNER_ISSUER, "someone", "mockidp", email="alice@example.com"))
    assert exchange(idp, partner_token).status_code == 200
    partner = by_name(admin, "Partner IdP")
    # PATCH keeps the fixture's key file: the same partner token still verifies, now for OTHER_CLIENT only.
    admin.ok(
        admin.patch(
            f"IdentityPropagationTrusts/{partner['id']}", {"op": "add", "path": "oauthClients", "value": [OTHER_CLIENT]}
        )
    )
    assert exchange(idp, partner_token, auth=(OTHER_CLIENT, OTHER_SECRET)).status_code == 200
    assert exchange(idp, partner_token).status_code == 400
    assert admin.delete(f"IdentityPropagationTrusts/{partner['id']}").status_code == 204
    assert admin.get(f"IdentityPropagationTrusts/{partner['id']}").status_code == 404
    assert exchange(idp, partner_token, auth=(OTHER_CLIENT, OTHER_SECRET)).json()["error"] == "invalid_grant"
    idp.reset()
    assert exchange(idp, partner_token).status_code == 200


def test_the_oci_sdk_signer_fails_once_the_trust_is_gone(idp: MockIdP, admin: Admin, keys: Keys) -> None:
    ci = by_name(admin, "CI pipelines")
    token = keys.ci.sign(claims(CI_ISSUER, "repo:acme/app", "mockidp", repository="acme/app", ref="refs/heads/main"))
    assert TokenExchangeSigner(token, idp.url, KEY_CLIENT, KEY_CLIENT_SECRET).security_token_container.valid()
    assert admin.delete(f"IdentityPropagationTrusts/{ci['id']}").status_code == 204
    with pytest.raises(oci_requests.exceptions.HTTPError) as raised:
        TokenExchangeSigner(token, idp.url, KEY_CLIENT, KEY_CLIENT_SECRET)
    assert raised.value.response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "message_id", "detail"),
    [
        (
            {"name": None, "issuer": None},
            "error.common.validation.missingReqAttributes",
            "Missing required attribute(s): name,issuer.",
        ),
        (
            {"schemas": ["urn:x"]},
            "error.common.common.invalidSyntax",
            f'An IdentityPropagationTrust needs "schemas": ["{TRUST_SCHEMA}"].',
        ),
        (
            {"keytab": {"secretOcid": "x"}},
            "error.common.common.invalidSyntax",
            "'keytab' is not an IdentityPropagationTrust attribute mockidp supports (active, allowImpersonation, "
            "clientClaimName, clientClaimValues, clockSkewSeconds, description, impersonationServiceUsers, issuer, "
            "name, oauthClients, publicCertificate, publicKeyEndpoint, subjectClaimName, subjectMappingAttribute, "
            "subjectType, type).",
        ),
        ({"type": "SAML"}, INVALID_VALUE, "type 'SAML' is not supported by mockidp; use JWT."),
        ({"subjectType": "App"}, INVALID_VALUE, "subjectType 'App' is not supported by mockidp; use User."),
        (
            {"publicKeyEndpoint": "https://workload.example.net/jwks"},
            INVALID_VALUE,
            "publicKeyEndpoint is not supported: mockidp fetches no key from a URL. Give the issuer's signing "
            "certificate in publicCertificate (PEM, or base64 DER).",
        ),
        (
            {"publicCertificate": None},
            INVALID_VALUE,
            "publicCertificate is required: the issuer's signing certificate (PEM or base64 DER).",
        ),
        (
            {"publicCertificate": "not base64!"},
            INVALID_VALUE,
            "publicCertificate must be a PEM certificate or base64 of its DER.",
        ),
        (
            {"publicCertificate": base64.b64encode(b"garbage").decode()},
            INVALID_VALUE,
            "publicCertificate cannot be used: the certificate is not a readable PEM certificate: *",
        ),
        (
            {"issuer": CI_ISSUER},
            "error.common.validation.uniqueness",
            f"Trust 'CI pipelines' (id {ids.stable_guid('trust', CI_ISSUER)}) already has issuer {CI_ISSUER!r}.",
        ),
        ({"oauthClients": ["nope"]}, INVALID_VALUE, "oauthClients: no client with client_id 'nope' (an App's name)."),
        (
            {"clientClaimName": "aud"},
            INVALID_VALUE,
            "clientClaimName and clientClaimValues go together: set both or neither.",
        ),
        (
            {"allowImpersonation": True},
            INVALID_VALUE,
            'allowImpersonation needs impersonationServiceUsers: [{"rule": …, "value": <user id>}].',
        ),
        (
            {"allowImpersonation": True, "impersonationServiceUsers": [{"rule": "sub is x", "value": "y"}]},
            INVALID_VALUE,
            "impersonationServiceUsers[0].rule: unknown operator 'is' in 'sub is x'; use one of eq, co, sw.",
        ),
        (
            {"impersonationServiceUsers": [{"rule": "sub eq x", "value": "y"}]},
            INVALID_VALUE,
            "impersonationServiceUsers are used only with allowImpersonation true.",
        ),
        (
            {"subjectMappingAttribute": "ocid"},
            INVALID_VALUE,
            "subjectMappingAttribute must be one of userName, email, emails.value, got 'ocid'.",
        ),
        (
            {"clockSkewSeconds": -1},
            INVALID_VALUE,
            "clockSkewSeconds must be a whole number of seconds from 0 to 3600, got -1.",
        ),
    ],
)
def test_every_bad_trust_is_a_scim_error(admin: Admin, workload, change: dict, message_id: str, detail) -> None:
    body = {key: value for key, value in {**trust_body(workload), **change}.items() if value is not None}
    status = 409 if message_id.endswith("uniqueness") else 400
    if detail is not None and detail.endswith("*"):  # the rest is the certificate parser's own words
        error = assert_scim_error(admin.post("IdentityPropagationTrusts", body), status, message_id)
        assert error["detail"].startswith(detail[:-1])
    else:
        assert_scim_error(admin.post("IdentityPropagationTrusts", body), status, message_id, detail)


def test_only_security_administrators_manage_trusts(idp: MockIdP, workload) -> None:
    app_admin = Admin(idp, APP_ADMIN)
    body = assert_scim_error(
        app_admin.get("IdentityPropagationTrusts"), 403, "error.common.exception.insufficientScope"
    )
    assert "urn:opc:idm:t.security" in body["detail"]
    assert_scim_error(
        app_admin.post("IdentityPropagationTrusts", trust_body(workload)),
        403,
        "error.common.exception.insufficientScope",
    )
