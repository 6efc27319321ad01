"""Discovery documents and the JWKS, compared with the real identity domain's (idcs-reference §2, §3)."""

from __future__ import annotations

import base64
import hashlib

import jwt
import requests
from cryptography import x509

from mockidp.testing import MockIdP
from tests.conftest import ORDERS
from tests.helpers import assert_error, token_for

REAL_MEMBERS = {
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "end_session_endpoint",
    "jwks_uri",
    "secure_authorization_endpoint",
    "secure_token_endpoint",
    "secure_userinfo_endpoint",
    "secure_revocation_endpoint",
    "secure_introspection_endpoint",
    "secure_end_session_endpoint",
    "secure_jwks_uri",
    "scopes_supported",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "claims_supported",
    "grant_types_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "userinfo_signing_alg_values_supported",
    "ui_locales_supported",
    "claims_parameter_supported",
    "http_logout_supported",
    "logout_session_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_request_uri_registration",
    "idcs_id_token",
    "idcs_logout_v3",
}


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def test_openid_configuration_has_the_real_members_and_values(idp: MockIdP):
    response = get(idp.discovery_url)
    assert response.status_code == 200
    doc = response.json()
    assert set(doc) >= REAL_MEMBERS
    assert doc["issuer"] == "https://identity.oraclecloud.com/"
    assert doc["token_endpoint"] == f"{idp.url}/oauth2/v1/token"
    assert doc["jwks_uri"] == f"{idp.url}/admin/v1/SigningCert/jwk"
    assert doc["secure_token_endpoint"] == f"{idp.url}/oauth2/v1/token"
    assert doc["scopes_supported"] == [
        "openid",
        "profile",
        "offline_access",
        "email",
        "address",
        "phone",
        "groups",
        "get_groups",
        "approles",
        "get_approles",
    ]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "private_key_jwt",
        "client_secret_post",
    ]
    assert doc["idcs_logout_v3"] == "supported"
    assert response.headers["X-ORACLE-DMS-ECID"]


def test_oauth_authorization_server_adds_none_and_s256(idp: MockIdP):
    doc = get(f"{idp.url}/.well-known/oauth-authorization-server").json()
    assert "none" in doc["token_endpoint_auth_methods_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_idcs_configuration_wraps_the_openid_document(idp: MockIdP):
    doc = get(f"{idp.url}/.well-known/idcs-configuration").json()
    assert doc["configuration"]["version"] == "1"
    assert "access-configuration" in doc
    assert doc["openid-configuration"]["token_endpoint"] == idp.token_url
    assert doc["openid-configuration"] == get(idp.discovery_url).json()


def test_urls_follow_the_host_and_forwarded_headers(idp: MockIdP):
    doc = get(idp.discovery_url, headers={"Host": "idcs-abc.identity.oraclecloud.com"}).json()
    assert doc["token_endpoint"] == "http://idcs-abc.identity.oraclecloud.com:80/oauth2/v1/token"
    doc = get(
        idp.discovery_url,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "idcs-abc.identity.oraclecloud.com"},
    ).json()
    # an explicit :443, as the real document has
    assert doc["token_endpoint"] == "https://idcs-abc.identity.oraclecloud.com:443/oauth2/v1/token"
    assert doc["secure_token_endpoint"] == "https://idcs-abc.identity.oraclecloud.com/oauth2/v1/token"
    doc = get(idp.discovery_url, headers={"Host": "evil.example.com/<script>"}).json()
    assert "<script>" not in doc["token_endpoint"]


def test_public_url_wins_over_the_request():
    with MockIdP(public_url="https://idp.example.com:9443") as server:
        assert server.url == "https://idp.example.com:9443"
        doc = get(f"{server.bound_url}/.well-known/openid-configuration", headers={"Host": "other.example.com"}).json()
        assert doc["token_endpoint"] == "https://idp.example.com:9443/oauth2/v1/token"


def test_issuer_self_is_the_url_the_client_used(serve_fixtures):
    server = serve_fixtures(
        **{
            "d.toml": '[domain]\nissuer = "self"\n[[clients]]\nclient_id = "c"\n'
            'client_secret = "s"\napp_roles = ["Authenticated Client"]\n'
        }
    )
    doc = get(server.discovery_url).json()
    assert doc["issuer"] == server.url
    body = token_for(server, auth=("c", "s"), grant_type="client_credentials", scope="urn:opc:idm:__myscopes__")
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == server.url


def test_jwks_is_shaped_like_the_real_one(idp: MockIdP):
    response = get(idp.jwks_url)
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert set(key) == {"kty", "x5t#S256", "e", "x5t", "kid", "x5c", "key_ops", "alg", "n"}
    assert key["kid"] == "SIGNING_KEY" and key["alg"] == "RS256" and key["kty"] == "RSA"
    assert key["key_ops"] == ["verify", "encrypt"]
    assert len(key["x5c"]) == 2
    leaf_der, ca_der = (base64.b64decode(c) for c in key["x5c"])
    leaf, ca = x509.load_der_x509_certificate(leaf_der), x509.load_der_x509_certificate(ca_der)
    assert leaf.issuer == ca.subject
    ca.public_key().verify(
        leaf.signature,
        leaf.tbs_certificate_bytes,
        __import__("cryptography.hazmat.primitives.asymmetric.padding", fromlist=["x"]).PKCS1v15(),
        leaf.signature_hash_algorithm,
    )

    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    assert key["x5t"] == b64url(hashlib.sha1(leaf_der).digest())
    assert key["x5t#S256"] == b64url(hashlib.sha256(leaf_der).digest())
    assert leaf.public_key().public_numbers().n == jwt.PyJWK(key).key.public_numbers().n


def test_token_header_names_the_jwks_certificate(idp: MockIdP):
    key = get(idp.jwks_url).json()["keys"][0]
    token = token_for(idp, grant_type="client_credentials", scope=f"{ORDERS}read")["access_token"]
    header = jwt.get_unverified_header(token)
    assert header == {"x5t#S256": key["x5t#S256"], "x5t": key["x5t"], "kid": "SIGNING_KEY", "alg": "RS256"}


JWKS_AUTH = {
    "d.toml": """
        [domain]
        jwks_requires_auth = true
        [[clients]]
        client_id = "c"
        client_secret = "s"
        app_roles = ["Authenticated Client"]
    """
}


def test_jwks_can_require_a_bearer_token(serve_fixtures):
    server = serve_fixtures(**JWKS_AUTH)
    anonymous = get(server.jwks_url)
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:Error",
            "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error",
        ],
        "detail": "Operation failed due to unauthorized access.",
        "status": "401",
        "urn:ietf:params:scim:api:oracle:idcs:extension:messages:Error": {
            "messageId": "error.common.exception.unauthorizedAccess"
        },
    }
    assert get(server.jwks_url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    token = token_for(server, auth=("c", "s"), grant_type="client_credentials", scope="urn:opc:idm:__myscopes__")[
        "access_token"
    ]
    keys = get(server.jwks_url, headers={"Authorization": f"Bearer {token}"})
    assert keys.status_code == 200 and keys.json()["keys"][0]["kid"] == "SIGNING_KEY"
    # Oracle's samples fetch it this way with PyJWT's client and a header
    client = jwt.PyJWKClient(server.jwks_url, headers={"Authorization": f"Bearer {token}"})
    assert client.get_signing_key_from_jwt(token).key_id == "SIGNING_KEY"


def test_unknown_paths_and_methods_answer_in_the_error_shape(idp: MockIdP):
    assert_error(get(f"{idp.url}/oauth2/v1/nothing"), 404, "not_found", "There is no endpoint at /oauth2/v1/nothing.")
    response = get(idp.token_url)
    assert_error(response, 405, "invalid_request", "GET is not allowed on /oauth2/v1/token; use POST.")
    assert response.headers["Allow"] == "POST"
