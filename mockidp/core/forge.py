"""Tokens minted on request through the control plane: for any client and user, with any claims, or
deliberately defective so that a test can check that the API under test refuses them.

Claims come from the one claims builder (`claims.py`) and signatures from the domain's active key, so a minted
token is exactly what the token endpoint would issue until a defect is asked for:

| defect | what is wrong |
|---|---|
| `expired` | `exp` 10 minutes ago (beyond the usual clock-skew leeways), `iat` one lifetime before that |
| `not_yet_valid` | `nbf` and `iat` 10 minutes ahead |
| `wrong_issuer` / `wrong_audience` | `iss` / `aud` name another service |
| `bad_signature` | signed by the domain key, then the signature altered |
| `unknown_kid` | signed by the domain key, under a `kid` the JWKS does not have |
| `alg_none` | `"alg": "none"` and no signature |
| `hs256_with_public_key` | HS256 keyed with the domain's public key (PEM): the algorithm-confusion attack |
| `missing_claim:<name>` | the claim left out |
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import HMACAlgorithm
from jwt.api_jws import PyJWS
from jwt.utils import base64url_decode, base64url_encode, force_bytes

from mockidp.core.claims import Grant, Session, access_token_claims, id_token_claims
from mockidp.core.errors import ControlError, OAuthError

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls

ACCESS, ID = "access", "id"
SKEW = 600
WRONG_ISSUER = "https://wrong-issuer.example.com/"
WRONG_AUDIENCE = "https://wrong-audience.example.com/"
UNKNOWN_KID = "UNKNOWN_SIGNING_KEY"
MISSING_CLAIM = "missing_claim:"
DEFECTS = (
    "expired",
    "not_yet_valid",
    "wrong_issuer",
    "wrong_audience",
    "bad_signature",
    "unknown_kid",
    "alg_none",
    "hs256_with_public_key",
)
_SIGNATURE_DEFECTS = ("bad_signature", "alg_none", "hs256_with_public_key")
_FIELDS = ("kind", "client_id", "user", "scope", "claims", "ttl", "defects")
MAX_TTL = 31536000


def mint(domain: IdentityDomain, urls: Urls, raw: Any) -> dict[str, Any]:
    """A token as asked for: `{"token", "header", "claims"}`, or ControlError saying what is wrong."""
    request = _check(raw)
    try:
        client = domain.client(request["client_id"])
    except OAuthError as exc:  # a client metadata document that cannot be used
        raise ControlError(400, f"client_id: {exc.description}") from None
    if client is None:
        raise ControlError(400, f"client_id: there is no client {request['client_id']!r} in this identity domain.")
    user = None
    if request.get("user") is not None:
        user = domain.user(request["user"])
        if user is None:
            raise ControlError(400, f"user: there is no user {request['user']!r} in this identity domain.")
    kind = request.get("kind", ACCESS)
    if kind == ID and user is None:
        raise ControlError(400, "user: an ID token is about a user; name one.")
    scope = request.get("scope") or _default_scope(client.allowed_scopes, user is not None or kind == ID)
    try:
        scopes = domain.scopes.resolve(client, scope, user)
    except OAuthError as exc:
        raise ControlError(400, f"scope: {exc.reason}") from None

    now = int(domain.clock.now())
    ttl = request.get("ttl") or scopes.expiry or domain.settings.access_token_ttl
    session = Session.start(now, domain.settings.session_ttl) if user is not None else None
    grant = Grant(client, scopes, "password" if user else "client_credentials", user, session)
    if kind == ACCESS:
        claims = access_token_claims(domain, urls, grant, scopes.resources[0], now, ttl)
    else:
        claims = id_token_claims(domain, urls, grant, now)
        if request.get("ttl"):
            claims["exp"] = now + ttl
    claims.update(request.get("claims", {}))
    defects = request.get("defects", [])
    _break_claims(claims, defects, now)
    try:
        token = _sign(domain, claims, defects)
    except (TypeError, ValueError, OverflowError, jwt.PyJWTError) as exc:
        raise ControlError(400, f"claims: the token cannot be made with these claims: {exc}.") from None
    return {"token": token, "header": jwt.get_unverified_header(token), "claims": claims, "defects": defects}


def _default_scope(allowed: tuple[str, ...], for_user: bool) -> str:
    if for_user:
        return "openid"
    return " ".join(allowed) if allowed else "urn:opc:idm:__myscopes__"


def _check(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ControlError(400, 'A token request must be a JSON object such as {"client_id": "…"}.')
    problems = [f"{key}: unknown field; expected one of {', '.join(_FIELDS)}" for key in raw if key not in _FIELDS]
    if not isinstance(raw.get("client_id"), str) or not raw.get("client_id"):
        problems.append("client_id: is required (the client the token is for)")
    for name in ("user", "scope"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            problems.append(f"{name}: must be a string")
    if raw.get("kind", ACCESS) not in (ACCESS, ID):
        problems.append(f"kind: must be {ACCESS!r} or {ID!r}, got {raw.get('kind')!r}")
    if not isinstance(raw.get("claims", {}), dict):
        problems.append("claims: must be an object of claim names to values")
    ttl = raw.get("ttl")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= MAX_TTL):
        problems.append(f"ttl: must be a whole number of seconds from 1 to {MAX_TTL}, got {ttl!r}")
    defects = raw.get("defects", [])
    if not isinstance(defects, list) or not all(isinstance(d, str) for d in defects):
        problems.append("defects: must be a list of names")
    else:
        for defect in defects:
            if defect not in DEFECTS and not (defect.startswith(MISSING_CLAIM) and len(defect) > len(MISSING_CLAIM)):
                problems.append(
                    f"defects: unknown defect {defect!r}; known: {', '.join(DEFECTS)}, missing_claim:<name>"
                )
        signature = [d for d in defects if d in _SIGNATURE_DEFECTS]
        if len(signature) > 1:
            problems.append(f"defects: choose one of {', '.join(signature)}; a token has one signature")
    if problems:
        raise ControlError(400, f"The token request was refused: {problems[0]}", problems)
    return raw


def _break_claims(claims: dict[str, Any], defects: list[str], now: int) -> None:
    exp, iat = claims.get("exp"), claims.get("iat")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat))
    lifetime = max(int(exp - iat), 1) if numbers else 3600  # type: ignore[operator]
    for defect in defects:
        if defect == "expired":
            claims["exp"] = now - SKEW
            claims["iat"] = now - SKEW - lifetime
        elif defect == "not_yet_valid":
            claims["nbf"] = claims["iat"] = now + SKEW
            claims["exp"] = now + SKEW + lifetime
        elif defect == "wrong_issuer":
            claims["iss"] = WRONG_ISSUER
        elif defect == "wrong_audience":
            claims["aud"] = WRONG_AUDIENCE
        elif defect.startswith(MISSING_CLAIM):
            name = defect[len(MISSING_CLAIM) :]
            if name not in claims:
                raise ControlError(400, f"defects: {defect}: the token has no {name!r} claim to leave out.")
            del claims[name]


def _sign(domain: IdentityDomain, claims: dict[str, Any], defects: list[str]) -> str:
    key = domain.keys.active
    if "unknown_kid" in defects:  # no x5t either: nothing in the header leads to a published key
        header: dict[str, Any] = {"kid": UNKNOWN_KID, "typ": None}
    else:
        header = dict(key.header)
    if "alg_none" in defects:
        return jwt.encode(claims, None, algorithm="none", headers=header, sort_headers=False)
    if "hs256_with_public_key" in defects:
        public_pem = key.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return _confused_jws().encode(payload, public_pem, algorithm="HS256", headers=header, sort_headers=False)
    if "unknown_kid" in defects:
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers=header, sort_headers=False)
    else:
        token = key.sign(claims)
    if "bad_signature" in defects:
        signing_input, _, signature = token.rpartition(".")
        altered = bytearray(base64url_decode(signature))
        altered[0] ^= 0x01
        token = f"{signing_input}.{base64url_encode(bytes(altered)).decode()}"
    return token


class _AnyKeyHMAC(HMACAlgorithm):
    """HMAC that takes any bytes as its secret. PyJWT rightly refuses a PEM public key as an HMAC secret;
    forging the algorithm-confusion token needs exactly that."""

    def prepare_key(self, key: str | bytes) -> bytes:
        return force_bytes(key)


def _confused_jws() -> PyJWS:
    jws = PyJWS()
    jws.unregister_algorithm("HS256")
    jws.register_algorithm("HS256", _AnyKeyHMAC(HMACAlgorithm.SHA256))
    return jws
