"""What an identity domain is made of, as declared in fixtures: settings, resources, clients, users
and fixed authorization codes. Plain frozen dataclasses; loading and validation live in `fixtures.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockidp.core import ids

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


@dataclass(frozen=True)
class Resource:
    name: str
    audience: str
    secondary_audiences: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()


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
    public_key: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        return self.client_secret is None

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

    @property
    def guid(self) -> str:
        return ids.stable_guid("user", self.user_name)


@dataclass(frozen=True)
class FixedCode:
    """An authorization code declared in fixtures: redeemable again and again (the seed's script uses one)."""

    code: str
    client_id: str
    user: str
    redirect_uri: str
    scope: str = "openid"


@dataclass(frozen=True)
class Fixtures:
    directory: Path
    domain: DomainSettings
    resources: tuple[Resource, ...] = ()
    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    codes: dict[str, FixedCode] = field(default_factory=dict)
