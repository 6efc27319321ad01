"""Client authentication at the token, introspection and revocation endpoints (idcs-reference §5).

Methods: `client_secret_basic` (id and secret URL-encoded, then base64), `client_secret_post`, `none`
for public clients (client_id only), and `private_key_jwt` (`client_assertion.py`). Secrets are compared
in constant time.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from mockidp.core import client_assertion
from mockidp.core.errors import invalid_client, invalid_request
from mockidp.core.model import Client

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

SECRET_BASIC = "client_secret_basic"
SECRET_POST = "client_secret_post"
NONE = "none"

# Told which client authenticated and how (the web layer keeps it for CORS and the request journal).
ClientHook = Callable[[Client, str], None]

# Methods selected by a request parameter: a function (domain, urls, params) -> (Client, method name)
# that authenticates or raises invalid_client.
ASSERTION_METHODS: dict[str, Callable[[IdentityDomain, Urls, Mapping[str, str]], tuple[Client, str]]] = {
    "client_assertion": client_assertion.authenticate,
    "client_assertion_type": client_assertion.authenticate,
}


def parse_basic(authorization: str) -> tuple[str, str]:
    """`Basic base64(urlencode(id):urlencode(secret))` → (id, secret), or invalid_client saying what is wrong."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise invalid_client(
            f"Authorization header with scheme {scheme!r}",
            basic=True,
            description='The Authorization header must be "Basic" followed by base64 of client_id:client_secret.',
        )
    try:
        decoded = base64.b64decode(encoded.strip().encode("ascii"), validate=True).decode("utf-8")
    except ValueError:  # not ASCII (8-bit header bytes), not base64 (binascii.Error), not UTF-8 inside
        raise invalid_client(
            "undecodable Basic credentials",
            basic=True,
            description="The Basic credentials are not valid base64 of client_id:client_secret.",
        ) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise invalid_client(
            "Basic credentials without client_id:secret",
            basic=True,
            description="The Basic credentials must be client_id:client_secret, separated by a colon.",
        )
    return unquote_plus(client_id), unquote_plus(secret)


def secrets_match(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authenticate_client(
    domain: IdentityDomain,
    urls: Urls,
    params: Mapping[str, str],
    authorization: str | None,
    on_client: ClientHook | None = None,
) -> tuple[Client, str]:
    """The client making the request and the method it authenticated with, or an OAuthError."""
    client, method = _authenticate(domain, urls, params, authorization)
    if on_client is not None:
        on_client(client, method)
    return client, method


def _authenticate(
    domain: IdentityDomain, urls: Urls, params: Mapping[str, str], authorization: str | None
) -> tuple[Client, str]:
    for parameter, method in ASSERTION_METHODS.items():
        if parameter in params:
            if authorization:
                raise invalid_request(
                    "Use one client authentication method: the request has both an "
                    f"Authorization header and {parameter}."
                )
            return method(domain, urls, params)

    body_id, body_secret = params.get("client_id"), params.get("client_secret")
    if authorization and authorization.strip().lower().startswith("bearer"):
        authorization = None  # a bearer token is not client authentication; judge the body alone
    if authorization:
        client_id, secret = parse_basic(authorization)
        if body_secret is not None:
            raise invalid_request(
                "Use one client authentication method: the request has both an Authorization "
                "header and a client_secret parameter."
            )
        if body_id is not None and body_id != client_id:
            raise invalid_client(
                f"client_id {body_id!r} in the body but {client_id!r} in the Basic header",
                basic=True,
                description="The client_id parameter differs from the client_id in the Authorization header.",
            )
        return _check_secret(domain, client_id, secret, basic=True), SECRET_BASIC

    if body_id is None:
        raise invalid_client(
            "no client authentication",
            description="The request does not authenticate a client: "
            "send an Authorization: Basic header, or client_id (and client_secret) in the body.",
        )
    if body_secret is not None and body_secret != "":
        return _check_secret(domain, body_id, body_secret, basic=False), SECRET_POST
    client = _known(domain, body_id, basic=False)
    if not client.is_public:
        raise invalid_client(f"confidential client {body_id} sent no secret")
    return client, NONE


def _known(domain: IdentityDomain, client_id: str, *, basic: bool) -> Client:
    client = domain.client(client_id)
    if client is None:
        raise invalid_client(f"no client with client_id {client_id!r} in this domain", basic=basic)
    if not client.active:
        raise invalid_client(f"client {client_id} is deactivated (its App has active: false)", basic=basic)
    return client


def _check_secret(domain: IdentityDomain, client_id: str, secret: str, *, basic: bool) -> Client:
    client = _known(domain, client_id, basic=basic)
    if client.client_secret is None:
        how = "it authenticates with private_key_jwt" if client.keys else "it is public"
        raise invalid_client(f"client {client_id} has no secret ({how}) but a secret was sent", basic=basic)
    if not secrets_match(secret, client.client_secret):
        raise invalid_client(f"wrong client_secret for client {client_id}", basic=basic)
    return client
