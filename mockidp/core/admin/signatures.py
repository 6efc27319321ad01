"""OCI HTTP request signatures: how the OCI SDKs and CLI authenticate to `/admin/v1` with an API key.

What a client sends (OCI "Request Signatures" [doc], draft-cavage-http-signatures-08, and exactly what
`oci/signer.py` of the Python SDK builds)::

    Authorization: Signature version="1",keyId="<tenancy ocid>/<user ocid>/<key fingerprint>",
        algorithm="rsa-sha256",headers="date (request-target) host",signature="<base64 RSA-SHA256>"

- The signing string is one `name: value` line per name of `headers`, in that order, joined by newlines;
  `(request-target)` is `<method in lower case> <path and query as sent>`.
- Every request signs `date` (or `x-date`, which wins when both are there), `(request-target)` and `host`;
  POST, PUT and PATCH also sign `content-length`, `content-type` and `x-content-sha256` (the base64 SHA-256
  of the body) [doc for POST and PUT; the SDK signs PATCH the same way].
- The date may be at most 5 minutes from the server's clock [doc: "If the client's clock is skewed more than
  5 minutes, a 401 (NotAuthenticated) is returned"]. [choice] The server's clock is the domain clock, so a
  test that moves it makes signatures stale exactly as a skewed client would.
- The key is one of the user's API keys (fixtures `api_keys`, or created through `/admin/v1/ApiKeys`), named
  by its fingerprint (`verification_keys.oci_fingerprint`); or, with `keyId="ST$<token>"`, the session key a
  user principal session token (UPST) of this domain is bound to (its `jwk` claim): what the SDK's
  `SecurityTokenSigner`/`TokenExchangeSigner` and `oci --auth security_token` send. The UPST must be one this
  domain issued (token exchange), unexpired and not revoked, for an active user.

Every failure is the SCIM 401. Where the client can fix something (a malformed header, an unsigned header, a
stale date, a body that is not the one signed) the detail says what; an unknown key or a signature that does
not verify keeps the real service's fixed text, with the precise reason in the log and the request journal.
The tenancy part of keyId must be the domain's tenancy OCID, the `tenancyOcid` every admin resource carries
([choice] derived from the tenant name, like the domain's other OCIDs; `docs/admin-api-oci.md` gives the default
fixtures' one).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

from mockidp.core import ids
from mockidp.core.admin import api_keys, caller, errors
from mockidp.core.tokens import TokenRejected, verify_token

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User
    from mockidp.core.verification_keys import ApiSigningKey

SCHEME = "signature"
SESSION_PREFIX = "ST$"  # keyId of a session-token signature: ST$<UPST>
ALGORITHM = "rsa-sha256"
VERSION = "1"
MAX_SKEW = 300  # seconds
REQUEST_TARGET = "(request-target)"
BASE_HEADERS = (REQUEST_TARGET, "host")  # and date or x-date
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_HEADER = 16 * 1024  # an Authorization header longer than this is not a signature

_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_FINGERPRINT = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){15}")
_OCID = re.compile(r"ocid1\.([a-z0-9]+)\.[a-z0-9-]*\.[a-z0-9-]*\.[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SignatureHeader:
    """The parameters of an `Authorization: Signature …` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    version: str | None


@dataclass(frozen=True)
class KeyId:
    tenancy: str
    user: str  # the user's OCID
    fingerprint: str


@dataclass(frozen=True)
class Signed:
    """Who signed a request: the user, and the API key and keyId that checked the signature (both None for a
    session-token signature, checked with the UPST's session key)."""

    user: User
    key: ApiSigningKey | None
    key_id: KeyId | None


def authenticate(
    domain: IdentityDomain,
    method: str,
    path_and_query: str,
    headers: Iterable[tuple[str, str]] | dict[str, str],
    body: bytes,
) -> Caller:
    """The caller an OCI-signed request comes from (the user whose API key or session token signed it, with the
    idm scopes of that user's app roles), or the SCIM 401 saying what is wrong.

    `path_and_query` is the request target exactly as sent (undecoded); `headers` are the request's headers
    (any case; repeated ones are joined with ", " as draft-cavage §2.3 says); `body` is the raw body."""
    signed = verify(domain, method, path_and_query, headers, body)
    user = domain.user(signed.user.user_name) or signed.user  # as the domain has it now (grants included)
    return caller.for_user(domain, user)


def verify(
    domain: IdentityDomain,
    method: str,
    path_and_query: str,
    headers: Iterable[tuple[str, str]] | dict[str, str],
    body: bytes,
) -> Signed:
    """Check an OCI request signature; returns who signed it, or raises the SCIM 401."""
    values = _header_values(headers)
    parsed = parse(values.get("authorization", ""))
    method = method.upper()
    _check_covered(parsed.headers, values, method)
    key: ApiSigningKey | None = None
    key_id: KeyId | None = None
    if parsed.key_id.startswith(SESSION_PREFIX):
        _check_date(domain, parsed.headers, values)
        user, public_key = _session(domain, parsed.key_id[len(SESSION_PREFIX) :])
        checked_with = f"the session key of {user.user_name}'s session token"
    else:
        key_id = parse_key_id(parsed.key_id)
        tenancy = tenancy_ocid(domain)
        if key_id.tenancy != tenancy:
            raise _malformed(
                f"the tenancy part of keyId, {key_id.tenancy}, is not this identity domain's tenancy, {tenancy} "
                "(the tenancyOcid of its resources)"
            )
        _check_date(domain, parsed.headers, values)
        found = api_keys.find_signing_key(domain, key_id.user, key_id.fingerprint)
        if found is None:
            raise _refused(
                f"keyId {parsed.key_id!r} names no API key of this identity domain: no active user with OCID "
                f"{key_id.user} has a key with fingerprint {key_id.fingerprint}"
            )
        user, key = found
        public_key = key.key
        checked_with = f"API key {key.fingerprint} of {user.user_name}"
    message = signing_string(parsed.headers, method, path_and_query, values).encode("utf-8")
    try:
        public_key.verify(parsed.signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise _refused(
            f"the signature does not verify with {checked_with}: signed with another private key, or over "
            f"other values (signing string: {message.decode()!r})"
        ) from None
    _check_body(parsed.headers, values, body)
    return Signed(user, key, key_id)


# ---------------------------------------------------------------------------------------------- the parts


def tenancy_ocid(domain: IdentityDomain) -> str:
    """The domain's tenancy OCID, as its resources' `tenancyOcid` (`users.common_ocids`) has it."""
    return _tenancy_of(domain.tenant)


@functools.lru_cache(maxsize=64)
def _tenancy_of(tenant: str) -> str:  # a pure function of the tenant name: caching it keeps no domain state
    return ids.stable_ocid("tenancy", tenant)


def parse(authorization: str) -> SignatureHeader:
    """The parameters of an `Authorization: Signature k="v",…` header, or the 401 saying what is malformed."""
    if len(authorization) > MAX_HEADER:
        raise _malformed(f"the Authorization header is longer than {MAX_HEADER} bytes")
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != SCHEME:
        raise _malformed('the Authorization header must start with "Signature "')
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None:
            raise _malformed(
                f"cannot read the Signature parameters from {rest[position : position + 40]!r}: write them "
                'as name="value" pairs separated by commas'
            )
        name = match.group(1)
        if name in params:
            raise _malformed(f"the Signature parameter {name} is given twice")
        params[name] = match.group(2)
        position = match.end()
    missing = [name for name in ("keyId", "signature", "algorithm", "headers") if not params.get(name)]
    if missing:
        raise _malformed(f"the Signature parameters lack {', '.join(missing)}")
    if params["algorithm"].lower() != ALGORITHM:
        raise _malformed(f'algorithm is {params["algorithm"]!r}; OCI request signatures use "{ALGORITHM}"')
    version = params.get("version")
    if version is not None and version != VERSION:
        raise _malformed(f'version is {version!r}; mockidp knows OCI signature version "{VERSION}"')
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("signature is not base64") from None
    names = tuple(name.lower() for name in params["headers"].split())
    return SignatureHeader(params["keyId"], params["algorithm"], names, signature, version)


def parse_key_id(key_id: str) -> KeyId:
    """`<tenancy OCID>/<user OCID>/<fingerprint>`, or the 401 saying what is malformed."""
    parts = key_id.split("/")
    if len(parts) != 3:
        raise _malformed(f"keyId {key_id!r} must be <tenancy OCID>/<user OCID>/<key fingerprint>")
    tenancy, user, fingerprint = parts
    for label, value, kind in (("tenancy", tenancy, "tenancy"), ("user", user, "user")):
        match = _OCID.fullmatch(value)
        if match is None or match.group(1) != kind:
            raise _malformed(f"the {label} part of keyId, {value!r}, is not a {kind} OCID (ocid1.{kind}.oc1..…)")
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise _malformed(
            f"the fingerprint part of keyId, {fingerprint!r}, must be 16 colon-separated lowercase hex bytes "
            "(aa:bb:…), as the console and `openssl md5 -c` of the DER public key show it"
        )
    return KeyId(tenancy, user, fingerprint)


def _session(domain: IdentityDomain, token: str) -> tuple[User, rsa.RSAPublicKey]:
    """The user and session key of a UPST this domain issued (`grants/token_exchange.py`), or the 401."""
    try:
        claims = verify_token(domain, token)
    except TokenRejected as exc:
        raise errors.unauthorized(f"The session token of keyId ST$… is not accepted: {exc}") from None
    if claims.get("ptype") != "user" or not isinstance(claims.get("jwk"), str):
        raise _malformed("keyId ST$… must carry a user principal session token (a UPST from token exchange)")
    try:
        public_key = RSAAlgorithm.from_jwk(claims["jwk"])
    except (jwt.InvalidKeyError, ValueError, KeyError, TypeError):
        raise _refused("the session token's jwk claim is not a usable RSA public key") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _refused("the session token's jwk claim is not an RSA public key")
    user = domain.user(str(claims.get("sub")))
    if user is None or not user.active:
        raise _refused(f"the session token's user {claims.get('sub')!r} does not exist or is deactivated")
    return user, public_key


def required_headers(method: str) -> tuple[str, ...]:
    """The headers a request of this method must sign, besides date (or x-date)."""
    return BASE_HEADERS + (BODY_HEADERS if method.upper() in BODY_METHODS else ())


def signing_string(names: Iterable[str], method: str, path_and_query: str, values: dict[str, str]) -> str:
    """The string an OCI signature signs: one `name: value` line per signed header."""
    lines = []
    for name in names:
        if name == REQUEST_TARGET:
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {path_and_query}")
        else:
            lines.append(f"{name}: {values.get(name, '')}")
    return "\n".join(lines)


def content_sha256(body: bytes) -> str:
    """The `x-content-sha256` of a body: base64 of its SHA-256."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _header_values(headers: Iterable[tuple[str, str]] | dict[str, str]) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, dict) else headers
    values: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        values[key] = f"{values[key]}, {value.strip()}" if key in values else value.strip()
    return values


def _check_covered(names: tuple[str, ...], values: dict[str, str], method: str) -> None:
    needed = list(required_headers(method))
    if "date" not in names and "x-date" not in names:
        needed.insert(0, "date")
    unsigned = [name for name in needed if name not in names]
    if unsigned:
        raise _malformed(
            f"a {method} request must sign {' '.join(['date', *required_headers(method)])}; the signature's "
            f"headers are {' '.join(names)!r}, without {', '.join(unsigned)}"
        )
    absent = [name for name in names if name != REQUEST_TARGET and name not in values]
    if absent:
        raise _malformed(f"the signed header {', '.join(absent)} is not in the request")


def _check_date(domain: IdentityDomain, names: tuple[str, ...], values: dict[str, str]) -> None:
    # The signed one decides (x-date when both are signed, as OCI says): an unsigned fresh x-date next to an
    # old signed date must not make a replayed request look new.
    name = "x-date" if "x-date" in names else "date"
    try:
        sent = email.utils.parsedate_to_datetime(values[name]).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        raise _malformed(
            f"the {name} header {values[name]!r} is not an HTTP date such as 'Tue, 01 Dec 2026 21:00:00 GMT'"
        ) from None
    now = domain.clock.now()
    if abs(now - sent) > MAX_SKEW:
        direction = "behind" if sent < now else "ahead of"
        raise errors.unauthorized(
            f"The {name} header is {abs(now - sent):.0f} s {direction} the identity domain's clock; a signed "
            f"request must be dated within {MAX_SKEW // 60} minutes (sign it again, or fix the client's clock)."
        )


def _check_body(names: tuple[str, ...], values: dict[str, str], body: bytes) -> None:
    if "x-content-sha256" in names and not hmac.compare_digest(values["x-content-sha256"], content_sha256(body)):
        raise errors.unauthorized(
            "The x-content-sha256 header is not the SHA-256 of the request body: the body changed after it was signed."
        )
    if "content-length" in names and values["content-length"] != str(len(body)):
        raise errors.unauthorized(
            f"The signed content-length is {values['content-length']} but the body has {len(body)} bytes."
        )


def _malformed(what: str) -> errors.ScimError:
    return errors.unauthorized(f"The request signature cannot be used: {what}.")


def _refused(reason: str) -> errors.ScimError:
    """A signature the domain does not accept: the fixed text in the body, the reason in the log and journal."""
    error = errors.unauthorized()
    error.reason = reason
    return error
