"""`urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693; idcs-reference §5).

The subject token must come from an issuer of `[[trusts]]` (identity propagation trust) that allows the
client; the trust maps it to a user (`trusts.accept`). What is issued depends on `requested_token_type`:
- `urn:oci:token-type:oci-upst`: an OCI user principal session token, exactly as the OCI SDK's
  `TokenExchangeSigner` asks (`subject_token_type=jwt`, `public_key` = base64 DER SubjectPublicKeyInfo); the
  answer is `{"token": "<JWT>"}` and nothing else, the submitted key in the `jwk` claim;
- `urn:ietf:params:oauth:token-type:access_token` (the default): the domain's usual token response for that
  user, plus `issued_token_type`.
An untrusted or invalid subject token is `invalid_grant` with the reason.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from mockidp.core import ids, trusts
from mockidp.core.assertions import AssertionRejected
from mockidp.core.claims import Grant, Session
from mockidp.core.errors import invalid_grant, invalid_request
from mockidp.core.model import TOKEN_EXCHANGE, User
from mockidp.core.signin import DEACTIVATED
from mockidp.core.tokens import issue_tokens

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest

UPST = "urn:oci:token-type:oci-upst"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REQUESTED_TYPES = (UPST, ACCESS_TOKEN)
# "jwt" is what the OCI SDK sends; the RFC 8693 names are accepted too.
SUBJECT_TYPES = (
    "jwt",
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:id_token",
)
WHAT = "subject_token"
# [choice] A UPST lives as long as an access token of the domain, at most 60 minutes (the real limit).
UPST_MAX_TTL = 3600
MIN_RSA_BITS = 2048


def grant(domain: IdentityDomain, request: TokenRequest) -> dict[str, Any]:
    requested = request.get("requested_token_type") or ACCESS_TOKEN
    if requested not in REQUESTED_TYPES:
        raise invalid_request(
            f"requested_token_type {requested!r} is not supported; use {' or '.join(REQUESTED_TYPES)}."
        )
    subject_type = request.require("subject_token_type")
    if subject_type not in SUBJECT_TYPES:
        raise invalid_request(f"subject_token_type {subject_type!r} is not supported; use {', '.join(SUBJECT_TYPES)}.")
    subject_token = request.require("subject_token")
    public_key = _session_key(request.require("public_key")) if requested == UPST else None
    try:
        user = trusts.accept(domain, request.urls, request.client, subject_token, WHAT)
    except AssertionRejected as exc:
        raise invalid_grant(str(exc)) from None
    if not user.active:
        raise invalid_grant(DEACTIVATED)
    if public_key is not None:
        return {"token": _upst(domain, request, user, public_key)}
    scopes = domain.scopes.resolve(request.client, request.get("scope"), user, request.get("resource"))
    session = Session.start(
        domain.clock.now(), domain.settings.session_ttl, amr=("JWT",), idp_name="IdentityPropagation"
    )
    body = issue_tokens(domain, request.urls, Grant(request.client, scopes, TOKEN_EXCHANGE, user=user, session=session))
    return {**body, "issued_token_type": ACCESS_TOKEN}


def _session_key(value: str) -> rsa.RSAPublicKey:
    """The key the UPST is bound to: base64 of the DER SubjectPublicKeyInfo, as the OCI SDK sends it."""
    if "-----BEGIN" in value:
        raise invalid_request(
            "public_key must be the base64 DER of the public key (SubjectPublicKeyInfo) without the "
            "-----BEGIN/END PUBLIC KEY----- lines, as the OCI SDK sends it."
        )
    try:
        key = serialization.load_der_public_key(base64.b64decode("".join(value.split()), validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise invalid_request("public_key is not a base64-encoded DER public key (SubjectPublicKeyInfo).") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise invalid_request("public_key must be an RSA public key.")
    if key.key_size < MIN_RSA_BITS:
        raise invalid_request(f"public_key is a {key.key_size}-bit RSA key; at least {MIN_RSA_BITS} bits are needed.")
    return key


def _upst(domain: IdentityDomain, request: TokenRequest, user: User, public_key: rsa.RSAPublicKey) -> str:
    """[choice] The UPST's claims (idcs-reference §5): sub, iss, exp, iat, jti, tenant, ptype, sess_exp, jwk."""
    now = int(domain.clock.now())
    exp = now + min(domain.settings.access_token_ttl, UPST_MAX_TTL)
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    claims = {
        "sub": user.user_name,
        "iss": request.urls.issuer,
        "ptype": "user",
        "tenant": domain.tenant,
        "client_id": request.client.client_id,
        "iat": now,
        "exp": exp,
        "sess_exp": exp,
        "jti": ids.jti(),
        "jwk": json.dumps({"kid": ids.stable_guid("upst-key", jwk["n"]), **jwk, "alg": "RS256", "use": "sig"}),
    }
    return domain.keys.active.sign(claims)
