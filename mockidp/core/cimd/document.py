"""A Client ID Metadata Document, checked as draft-ietf-oauth-client-id-metadata-document §4 says, and the
`Client` it describes.

- The document is a JSON object whose `client_id` is the URL it was fetched from, by simple string comparison.
- No shared secrets: `token_endpoint_auth_method` is `none` (a public client: authorization code with PKCE) or
  `private_key_jwt` (with the client's keys in `jwks`, or at `jwks_uri`); `client_secret` must not appear.
- Public clients: `authorization_code` (with PKCE) and `refresh_token` (the default `grant_types`); confidential
  (`private_key_jwt`) clients may also use `client_credentials`, as the identity domain's release notes say.
- `redirect_uris` are required for `authorization_code`. [choice] A loopback redirect URI (`http://127.0.0.1/…`,
  `http://[::1]/…`, `http://localhost/…`) matches on any port (RFC 8252 §7.3).
- `client_name` is what the sign-in page shows; `scope`, when given, limits the resource scopes the client may
  ask for.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from mockidp.core.model import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN

MAX_BYTES = 5 * 1024  # the draft's suggested limit
AUTH_METHODS = ("none", "private_key_jwt")
SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
PUBLIC_GRANTS = (AUTHORIZATION_CODE, REFRESH_TOKEN)
CONFIDENTIAL_GRANTS = (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS)


class DocumentRefused(Exception):
    """The document (or fetching it) cannot give a client; str(exc) says exactly what is wrong."""


def parse_document(url: str, body: bytes) -> dict[str, Any]:
    """The document at `url`, checked; or DocumentRefused."""
    if len(body) > MAX_BYTES:
        raise DocumentRefused(f"the document is {len(body)} bytes, over the limit of {MAX_BYTES} bytes")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentRefused(f"the document is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise DocumentRefused("the document must be a JSON object")
    check_document(url, document)
    return document


def check_document(url: str, document: dict[str, Any]) -> None:
    client_id = document.get("client_id")
    if client_id != url:
        raise DocumentRefused(
            f"its client_id {client_id!r} is not the URL it was fetched from ({url!r}); they must be equal"
        )
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise DocumentRefused("it has a client_secret: a client metadata document cannot carry a shared secret")
    method = document.get("token_endpoint_auth_method", "none")
    if method in SECRET_METHODS:
        raise DocumentRefused(
            f"token_endpoint_auth_method {method!r} needs a shared secret, which a metadata document cannot "
            "carry; use none (with PKCE) or private_key_jwt"
        )
    if method not in AUTH_METHODS:
        raise DocumentRefused(f"token_endpoint_auth_method must be none or private_key_jwt, got {method!r}")
    if method == "private_key_jwt":
        jwks, jwks_uri = document.get("jwks"), document.get("jwks_uri")
        if (jwks is None) == (jwks_uri is None):
            raise DocumentRefused("private_key_jwt needs the client's keys: give exactly one of jwks and jwks_uri")
        if jwks is not None and not (isinstance(jwks, dict) and isinstance(jwks.get("keys"), list) and jwks["keys"]):
            raise DocumentRefused('jwks must be a JWK Set: {"keys": [ ...at least one key... ]}')
        if jwks_uri is not None and not isinstance(jwks_uri, str):
            raise DocumentRefused("jwks_uri must be a URL string")
    grants = document.get("grant_types", list(PUBLIC_GRANTS))
    if not isinstance(grants, list) or not all(isinstance(grant, str) for grant in grants):
        raise DocumentRefused("grant_types must be a list of strings")
    allowed = CONFIDENTIAL_GRANTS if method == "private_key_jwt" else PUBLIC_GRANTS
    unknown = [grant for grant in grants if grant not in allowed]
    if unknown:
        raise DocumentRefused(
            f"grant_types: {unknown[0]!r} is not available to a metadata-document client with "
            f"token_endpoint_auth_method {method}; use {', '.join(allowed)}"
        )
    uris = document.get("redirect_uris", [] if AUTHORIZATION_CODE not in grants else None)
    if not isinstance(uris, list) or not all(isinstance(uri, str) and uri for uri in uris):
        raise DocumentRefused("redirect_uris must be a list of URLs")
    if not uris and AUTHORIZATION_CODE in grants:
        raise DocumentRefused("redirect_uris must be a non-empty list of URLs for the authorization_code grant")
    for uri in uris:
        parts = urlsplit(uri)
        if not parts.scheme or "#" in uri or (parts.scheme in ("http", "https") and not parts.netloc):
            raise DocumentRefused(f"redirect_uris: {uri!r} is not an absolute URL without a fragment")
    for name in ("client_name", "scope", "client_uri", "logo_uri"):
        if name in document and not isinstance(document[name], str):
            raise DocumentRefused(f"{name} must be a string")
    response_types = document.get("response_types", ["code"])
    if response_types != ["code"]:
        raise DocumentRefused(f'response_types must be ["code"] (authorization code with PKCE), got {response_types!r}')
