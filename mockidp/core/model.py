"""What an identity domain is made of, as declared in fixtures: settings, resources, clients, users
and fixed authorization codes. Plain frozen dataclasses; loading and validation live in `fixtures.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockidp.core import ids
from mockidp.core.verification_keys import ApiSigningKey, VerificationKey

DEFAULT_ISSUER = "https://identity.oraclecloud.com/"

# Grant type names as clients send them; fixtures may also use the short aliases of GRANT_ALIASES.
AUTHORIZATION_CODE = "authorization_code"
CLIENT_CREDENTIALS = "client_credentials"
REFRESH_TOKEN = "refresh_token"
PASSWORD = "password"
IMPLICIT = "implicit"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_ALIASES = {"jwt_bearer": JWT_BEARER, "device_code": DEVICE_CODE, "token_exchange": TOKEN_EXCHANGE}
KNOWN_GRANTS = (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    REFRESH_TOKEN,
    PASSWORD,
    IMPLICIT,
    JWT_BEARER,
    DEVICE_CODE,
    TOKEN_EXCHANGE,
)


def loopback_without_port(uri: str) -> str | None:
    """An http redirect URI on 127.0.0.1, [::1] or localhost with its port left out; None for any other URI."""
    parts = urlsplit(uri)
    host = parts.hostname
    if parts.scheme != "http" or host not in ("127.0.0.1", "::1", "localhost"):
        return None
    return parts._replace(netloc=f"[{host}]" if ":" in host else host).geturl()


DEFAULT_KEY_OPS = ("verify", "encrypt")  # what the real JWKS publishes (idcs-reference §3)


@dataclass(frozen=True)
class DomainSettings:
    tenant: str | None = None  # None: derived from the signing key, so it stays the same across restarts
    issuer: str = DEFAULT_ISSUER  # or "self": the server's own public URL
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 604800
    code_ttl: int = 180
    session_ttl: int = 28800
    jwks_requires_auth: bool = False
    signing_key: str = "signing-key.pem"
    region: str = "us-ashburn-1"
    domain_name: str = "Default"
    refresh_token_rotation: bool = False  # each refresh token single use; reuse revokes its family
    previous_issuer: str = ""  # the issuer before a change: its tokens stay valid where they are presented back
    client_id_metadata_documents: bool = False  # a client_id that is a trusted URL names a metadata document
    trusted_metadata_locations: tuple[str, ...] = ()  # URL prefixes such client_ids must start with
    # Client quirks, switchable (docs/client-compatibility.md); the defaults are the real service's.
    jwks_key_ops: tuple[str, ...] = DEFAULT_KEY_OPS  # the JWKS keys' key_ops; () leaves the member out
    group_claims: str = "objects"  # groups / appRoles in tokens and userinfo: "objects" ({"id", name}) or "names"
    id_token_profile: bool = False  # True: ID tokens carry the profile/email/phone claims userinfo would

    def __post_init__(self) -> None:
        object.__setattr__(self, "jwks_key_ops", tuple(self.jwks_key_ops))  # a list from the fixture file


@dataclass(frozen=True)
class Resource:
    """An OAuth resource app. `audience` is what tokens carry in `aud` and what fully qualified scopes start
    with; `resource` is what an RFC 8707 `resource` parameter names the app by (a fixture that gives only
    `resource` has it as its audience too)."""

    name: str
    audience: str
    secondary_audiences: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    resource: str | None = None


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str | None = None
    name: str = ""
    grant_types: tuple[str, ...] = ()
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = ()
    app_roles: tuple[str, ...] = ()
    public_key: str | None = None  # PEM file (public key or certificate) for private_key_jwt and assertions
    jwks: str | None = None  # JWKS file, the alternative to public_key when key ids matter
    cors_origins: tuple[str, ...] = ()  # browser origins that may call the token endpoints as this client
    claims: dict[str, Any] = field(default_factory=dict)
    refresh_token_rotation: bool | None = None  # None: the domain's setting
    active: bool = True  # an App deactivated through the admin API (`active: false`) cannot authenticate
    keys: tuple[VerificationKey, ...] = field(default=(), compare=False, repr=False)  # read from the two files

    metadata_url: str | None = None  # set for a client described by a Client ID Metadata Document (its client_id)

    @property
    def is_public(self) -> bool:
        """No way to authenticate: no secret and no key (a key client is confidential, via private_key_jwt)."""
        return self.client_secret is None and self.public_key is None and self.jwks is None and not self.keys

    def allows_redirect(self, uri: str) -> bool:
        """Exact match; for a metadata-document client a loopback redirect URI also matches on any port
        (RFC 8252 §7.3), since native apps listen on a port chosen at run time."""
        if uri in self.redirect_uris:
            return True
        if self.metadata_url is None:
            return False
        portless = loopback_without_port(uri)
        return portless is not None and any(loopback_without_port(own) == portless for own in self.redirect_uris)

    @property
    def guid(self) -> str:
        return ids.stable_guid("client", self.client_id)

    @property
    def display_name(self) -> str:
        return self.name or self.client_id


@dataclass(frozen=True)
class User:
    user_name: str
    password: str | None = None
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    email_verified: bool = False
    groups: tuple[str, ...] = ()
    app_roles: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict)
    # Optional profile fields; unset ones are answered as empty strings, as the real userinfo does.
    display_name: str = ""
    updated_at: int = 0
    gender: str = ""
    birthdate: str = ""
    website: str = ""
    phone_number: str = ""
    locale: str = "en"
    timezone: str = "America/Chicago"
    id: str = ""  # the SCIM id = the tokens' user_id; empty = derived from the user name (build_user fills it)
    ocid: str = ""  # empty = derived from the id
    active: bool = True  # false: no sign-in, no token grant (the admin API's `active`)
    api_keys: tuple[str, ...] = ()  # OCI API signing keys: PEM public key files, relative to the fixture dir
    api_signing_keys: tuple[ApiSigningKey, ...] = field(default=(), compare=False, repr=False)  # read from them

    @property
    def guid(self) -> str:
        return self.id or ids.stable_guid("user", self.user_name)


@dataclass(frozen=True)
class Group:
    """A `[[groups]]` entry, with the members the users' own `groups` keys add (see fixtures.py)."""

    display_name: str
    description: str = ""
    members: tuple[str, ...] = ()  # user names

    def guid(self, tenant: str) -> str:
        """The SCIM id, the same one the `groups` claim has always carried for this name."""
        return ids.stable_guid("group", tenant, self.display_name)


@dataclass(frozen=True)
class FixedCode:
    """An authorization code declared in fixtures: redeemable again and again (the seed's script uses one)."""

    code: str
    client_id: str
    user: str
    redirect_uri: str
    scope: str = "openid"


@dataclass(frozen=True)
class Condition:
    """One `<claim> <op> <value>` of an impersonation rule; ops as in SCIM filters: eq, co, sw."""

    claim: str
    op: str
    value: str


@dataclass(frozen=True)
class ImpersonationRule:
    """When a subject token matches `rule` (conditions joined by `and`), the token is for `user` instead."""

    rule: str
    user: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Trust:
    """An identity propagation trust: tokens of `issuer`, verified with its keys (or this domain's own when
    `issuer` is "self"), are accepted as jwt-bearer assertions and token-exchange subject tokens."""

    name: str
    issuer: str
    public_key: str | None = None
    jwks: str | None = None
    subject_claim: str = "sub"
    subject_mapping: str = "user_name"  # the user attribute the subject claim holds: user_name or email
    clients: tuple[str, ...] = ()  # client_ids that may use this trust; empty = every client
    client_claim: str | None = None  # a claim that must hold one of client_claim_values (e.g. aud)
    client_claim_values: tuple[str, ...] = ()
    impersonation: tuple[ImpersonationRule, ...] = ()
    keys: tuple[VerificationKey, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_self(self) -> bool:
        return self.issuer == "self"

    def allows(self, client_id: str) -> bool:
        return not self.clients or client_id in self.clients


@dataclass(frozen=True)
class Fixtures:
    directory: Path
    domain: DomainSettings
    resources: tuple[Resource, ...] = ()
    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    codes: dict[str, FixedCode] = field(default_factory=dict)
    trusts: tuple[Trust, ...] = ()
    client_metadata: dict[str, Path] = field(default_factory=dict)  # CIMD url -> local file that serves it
    groups: tuple[Group, ...] = ()
