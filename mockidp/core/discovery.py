"""The discovery documents (idcs-reference §2): members and values of the real ones, URLs of this server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core.scopes import OIDC_SCOPES

if TYPE_CHECKING:
    from mockidp.core.domain import Urls

# Path of each endpoint; the `secure_*` twins point at the same paths here.
ENDPOINTS = {
    "authorization_endpoint": "/oauth2/v1/authorize",
    "token_endpoint": "/oauth2/v1/token",
    "userinfo_endpoint": "/oauth2/v1/userinfo",
    "revocation_endpoint": "/oauth2/v1/revoke",
    "introspection_endpoint": "/oauth2/v1/introspect",
    "end_session_endpoint": "/oauth2/v1/userlogout",
    "jwks_uri": "/admin/v1/SigningCert/jwk",
}


def openid_configuration(urls: Urls, *, client_id_metadata_documents: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {"issuer": urls.issuer}
    doc.update({name: urls.endpoint(path) for name, path in ENDPOINTS.items()})
    doc.update({f"secure_{name}": urls.base + path for name, path in ENDPOINTS.items()})
    doc.update(
        {
            "scopes_supported": list(OIDC_SCOPES),
            "response_types_supported": [
                "code",
                "token",
                "id_token",
                "code token",
                "code id_token",
                "token id_token",
                "code token id_token",
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["aud", "exp", "iat", "iss", "jti", "sub"],
            "grant_types_supported": [
                "client_credentials",
                "password",
                "refresh_token",
                "authorization_code",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "tls_cert_auth",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt", "client_secret_post"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["none"],
            "ui_locales_supported": ["en"],
            "claims_parameter_supported": False,
            "http_logout_supported": True,
            "logout_session_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "require_request_uri_registration": False,
            "idcs_id_token": "supported",
            "idcs_logout_v3": "supported",
        }
    )
    if client_id_metadata_documents:  # draft-ietf-oauth-client-id-metadata-document §5
        doc["client_id_metadata_document_supported"] = True
    return doc


def oauth_authorization_server(urls: Urls, *, client_id_metadata_documents: bool = False) -> dict[str, Any]:
    doc = openid_configuration(urls, client_id_metadata_documents=client_id_metadata_documents)
    doc["token_endpoint_auth_methods_supported"] = [*doc["token_endpoint_auth_methods_supported"], "none"]
    doc["code_challenge_methods_supported"] = ["S256"]
    return doc


def idcs_configuration(urls: Urls, *, client_id_metadata_documents: bool = False) -> dict[str, Any]:
    """The IDCS wrapper; Oracle's SDKs read `["openid-configuration"]["token_endpoint"]` from it."""
    return {
        "configuration": {"version": "1"},
        "access-configuration": {"diagnostic-level": "None", "access-token-signing-alg": "RS256"},
        "openid-configuration": openid_configuration(urls, client_id_metadata_documents=client_id_metadata_documents),
    }
