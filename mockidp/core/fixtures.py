"""Reading a fixture directory into a `Fixtures` model, refusing every mistake with its file and key path.

A directory is one identity domain: every `*.toml` and `*.json` file in it is read and merged (`[domain]`
keys may each be set once; `[[resources]]`, `[[clients]]`, `[[users]]`, `[[codes]]`, `[[trusts]]` are
concatenated). Key files named by clients and trusts are read here too, once, so a bad key is a fixture problem.
Problems are collected, not raised one at a time, so `mockidp check` can list them all at once.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockidp.core import ids
from mockidp.core.errors import OAuthError
from mockidp.core.model import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    DEFAULT_ISSUER,
    DEFAULT_KEY_OPS,
    GRANT_ALIASES,
    IMPLICIT,
    KNOWN_GRANTS,
    REFRESH_TOKEN,
    Client,
    DomainSettings,
    FixedCode,
    Fixtures,
    Group,
    ImpersonationRule,
    Resource,
    Trust,
    User,
)
from mockidp.core.scopes import IDM_PREFIX, OIDC_SCOPES, ScopeCatalog
from mockidp.core.trusts import parse_rule
from mockidp.core.verification_keys import (
    ApiSigningKey,
    KeyFileError,
    VerificationKey,
    load_api_key,
    load_jwks,
    load_pem,
)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class FixtureError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


# ---------------------------------------------------------------------------------------------- field checks

Check = Callable[[Any], str | None]


def _nonempty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL, C1: invisible, and unsafe in headers, logs and URLs


def _token(value: str) -> str | None:
    """An identifier (user name, client id, audience, scope, code): no spaces, no control characters."""
    if not value:
        return "must not be empty"
    control = _CONTROL.search(value)
    if control:
        return (
            f"must not contain control characters; {value!r} has U+{ord(control.group()):04X} "
            f"at position {control.start()}"
        )
    return "must not contain spaces" if re.search(r"\s", value) else None


def _between(low: int, high: int) -> Check:
    return lambda value: None if low <= value <= high else f"must be between {low} and {high}, got {value}"


def _tenant(value: str) -> str | None:
    ok = re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", value)
    return None if ok else f'must be a lowercase DNS label such as "idcs-{"0" * 32}", got {value!r}'


def _issuer(value: str) -> str | None:
    if value == "self" or _absolute_http_url(value):
        return None
    return f'must be "self" or an absolute http(s) URL such as {DEFAULT_ISSUER!r}, got {value!r}'


def _previous_issuer(value: str) -> str | None:
    if value == "" or _absolute_http_url(value):
        return None
    return f'must be an absolute http(s) URL (the issuer before a change), or "" for none, got {value!r}'


def _resource_uri(value: str) -> str | None:
    """RFC 8707 §2: a resource indicator is an absolute URI with no fragment."""
    parts = urlsplit(value)
    if not parts.scheme or "#" in value or not (parts.netloc or parts.path):
        return f'must be an absolute URI without a fragment, e.g. "https://mcp.example.com/mcp", got {value!r}'
    return None


def _metadata_location(value: str) -> str | None:
    from mockidp.core.cimd.urls import location_problem  # the CIMD rules live in their package

    return location_problem(value)


def _metadata_url(value: str) -> str | None:
    from mockidp.core.cimd.urls import url_problem

    return url_problem(value)


def _absolute_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _redirect_uri(value: str) -> str | None:
    if _CONTROL.search(value) or " " in value:
        return f"must be a URL without spaces or control characters, got {value!r}"
    parts = urlsplit(value)
    if not parts.scheme or parts.fragment or "#" in value:
        return f"must be an absolute URL without a fragment, got {value!r}"
    if parts.path.isdigit() and not parts.netloc:
        return f'looks like host:port without a scheme; write e.g. "http://{value}"'
    if parts.scheme in ("http", "https") and not parts.netloc:
        return f"must name a host, got {value!r}"
    return None


def _origin(value: str) -> str | None:
    if value == "*":
        return 'list the origins one by one; "*" is only for discovery and JWKS, which allow every origin'
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        return (
            "must be an origin, scheme://host[:port] with no path or trailing slash, "
            f'e.g. "https://app.example.com", got {value!r}'
        )
    return None


def _rule(value: str) -> str | None:
    try:
        parse_rule(value)
    except ValueError as exc:
        return str(exc)
    return None


MAX_API_KEYS = 3  # OCI: "a user can have a maximum of three API keys"


def _at_most_api_keys(value: list[str]) -> str | None:
    if len(value) > MAX_API_KEYS:
        return f"a user can have at most {MAX_API_KEYS} API keys (as in OCI), got {len(value)}"
    return None


def _hex_id(value: str) -> str | None:
    ok = re.fullmatch(r"[0-9a-f]{32}", value)
    return None if ok else f"must be 32 lowercase hexadecimal digits (a SCIM id such as {'0' * 31}1), got {value!r}"


def _ocid(value: str) -> str | None:
    ok = re.fullmatch(r"ocid1\.[a-z0-9]+\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9._-]+", value)
    return None if ok else f'must be an OCID such as "ocid1.user.oc1..aaaaaaaa…", got {value!r}'


JWK_KEY_OPS = ("sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits")


def _one_of(*allowed: str) -> Check:
    return lambda value: None if value in allowed else f"must be one of {', '.join(allowed)}, got {value!r}"


def _grant(value: str) -> str | None:
    if value in KNOWN_GRANTS or value in GRANT_ALIASES:
        return None
    return f"unknown grant type {value!r}; known: {', '.join([*KNOWN_GRANTS, *GRANT_ALIASES])}"


RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "tok_type", "client_id", "scope"})


def _claims(value: dict) -> str | None:
    taken = sorted(RESERVED_CLAIMS & value.keys())
    if taken:
        return (
            f"{', '.join(taken)} {'is' if len(taken) == 1 else 'are'} set by the domain itself "
            "(mint tokens with any claims through the control plane instead)"
        )
    return None


# ---------------------------------------------------------------------------------------------- schema

_REQUIRED = object()
STR, INT, BOOL, STRS, TABLE = "a string", "an integer", "a boolean", "a list of strings", "a table"
TABLES = "a list of tables"


@dataclass(frozen=True)
class Field:
    kind: str
    default: Any = _REQUIRED
    check: Check | None = None
    item_check: Check | None = None  # for lists: checked on each element
    item_fields: dict[str, Field] | None = None  # for lists of tables: the fields of each table

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


DOMAIN_FIELDS = {
    "tenant": Field(STR, None, _tenant),
    "issuer": Field(STR, DEFAULT_ISSUER, _issuer),
    "access_token_ttl": Field(INT, 3600, _between(60, 31536000)),
    "refresh_token_ttl": Field(INT, 604800, _between(60, 31536000 * 10)),
    "code_ttl": Field(INT, 180, _between(1, 86400)),
    "session_ttl": Field(INT, 28800, _between(60, 31536000)),
    "jwks_requires_auth": Field(BOOL, False),
    "signing_key": Field(STR, "signing-key.pem", _nonempty),
    "region": Field(STR, "us-ashburn-1", _token),
    "domain_name": Field(STR, "Default", _nonempty),
    "refresh_token_rotation": Field(BOOL, False),
    "previous_issuer": Field(STR, "", _previous_issuer),
    "client_id_metadata_documents": Field(BOOL, False),
    "trusted_metadata_locations": Field(STRS, [], item_check=_metadata_location),
    # Client quirks (docs/client-compatibility.md): the real service's behaviour by default.
    "jwks_key_ops": Field(STRS, list(DEFAULT_KEY_OPS), item_check=_one_of(*JWK_KEY_OPS)),
    "group_claims": Field(STR, "objects", _one_of("objects", "names")),
    "id_token_profile": Field(BOOL, False),
}
RESOURCE_FIELDS = {
    "name": Field(STR, check=_nonempty),
    "audience": Field(STR, None, _token),  # required unless `resource` is given, which then serves as audience
    "resource": Field(STR, None, _resource_uri),
    "secondary_audiences": Field(STRS, [], item_check=_token),
    "scopes": Field(STRS, check=lambda v: None if v else "must list at least one scope", item_check=_token),
}
CLIENT_FIELDS = {
    "client_id": Field(STR, check=_token),
    "client_secret": Field(STR, None, _nonempty),
    "name": Field(STR, ""),
    "grant_types": Field(STRS, None, item_check=_grant),
    "redirect_uris": Field(STRS, [], item_check=_redirect_uri),
    "post_logout_redirect_uris": Field(STRS, [], item_check=_redirect_uri),
    "allowed_scopes": Field(STRS, [], item_check=_token),
    "app_roles": Field(STRS, []),
    "public_key": Field(STR, None, _nonempty),
    "jwks": Field(STR, None, _nonempty),
    "cors_origins": Field(STRS, [], item_check=_origin),
    "claims": Field(TABLE, {}, _claims),
    "refresh_token_rotation": Field(BOOL, None),  # None: the domain's setting
    "active": Field(BOOL, True),
}
USER_FIELDS = {
    "user_name": Field(STR, check=_token),
    "password": Field(STR, None),
    "name": Field(STR, ""),
    "given_name": Field(STR, ""),
    "family_name": Field(STR, ""),
    "email": Field(STR, ""),
    "email_verified": Field(BOOL, False),
    "groups": Field(STRS, []),
    "app_roles": Field(STRS, []),
    "claims": Field(TABLE, {}, _claims),
    "display_name": Field(STR, ""),
    "updated_at": Field(INT, 0, _between(0, 2**41)),
    "gender": Field(STR, ""),
    "birthdate": Field(STR, ""),
    "website": Field(STR, ""),
    "phone_number": Field(STR, ""),
    "locale": Field(STR, "en"),
    "timezone": Field(STR, "America/Chicago"),
    "id": Field(STR, None, _hex_id),
    "ocid": Field(STR, None, _ocid),
    "active": Field(BOOL, True),
    "api_keys": Field(STRS, [], _at_most_api_keys, _nonempty),
}
GROUP_FIELDS = {
    "display_name": Field(STR, check=_nonempty),
    "description": Field(STR, ""),
    "members": Field(STRS, []),
}
CODE_FIELDS = {
    "code": Field(STR, check=_token),
    "client_id": Field(STR, check=_nonempty),
    "user": Field(STR, check=_nonempty),
    "redirect_uri": Field(STR, check=_redirect_uri),
    "scope": Field(STR, "openid", _nonempty),
}
IMPERSONATION_FIELDS = {
    "rule": Field(STR, check=_rule),
    "user": Field(STR, check=_nonempty),
}
TRUST_FIELDS = {
    "name": Field(STR, check=_nonempty),
    "issuer": Field(STR, check=_token),  # the iss of the tokens it trusts; "self" = this domain's own
    "public_key": Field(STR, None, _nonempty),
    "jwks": Field(STR, None, _nonempty),
    "subject_claim": Field(STR, "sub", _token),
    "subject_mapping": Field(STR, "user_name", _one_of("user_name", "email")),
    "clients": Field(STRS, []),
    "client_claim": Field(STR, None, _token),
    "client_claim_values": Field(STRS, []),
    "impersonation": Field(TABLES, [], item_fields=IMPERSONATION_FIELDS),
}
CLIENT_METADATA_FIELDS = {
    "url": Field(STR, check=_metadata_url),  # the client_id the document is served for
    "file": Field(STR, check=_nonempty),  # relative to the fixture directory, in a sub-folder
}
LIST_SECTIONS = {
    "resources": RESOURCE_FIELDS,
    "clients": CLIENT_FIELDS,
    "users": USER_FIELDS,
    "codes": CODE_FIELDS,
    "trusts": TRUST_FIELDS,
    "client_metadata": CLIENT_METADATA_FIELDS,
    "groups": GROUP_FIELDS,
}
SECTIONS = ("domain", *LIST_SECTIONS)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == STR:
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == STRS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == TABLES:
        return isinstance(value, list) and all(isinstance(item, dict) for item in value)
    return isinstance(value, dict)


def read_table(
    raw: Any, fields: dict[str, Field], file: str, path: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """Check one table against its fields; returns the values with defaults, or None if it has problems."""
    if not isinstance(raw, dict):
        problems.append(Problem(file, path, f"must be a table, got {_kind_of(raw)}"))
        return None
    before = len(problems)
    values: dict[str, Any] = {}
    for key in raw:
        if key not in fields:
            problems.append(Problem(file, f"{path}.{key}", f"unknown key; expected one of {', '.join(fields)}"))
    for key, spec in fields.items():
        where = f"{path}.{key}"
        if key not in raw:
            if spec.default is _REQUIRED:
                problems.append(Problem(file, where, f"is required ({spec.kind})"))
            else:
                values[key] = spec.default
            continue
        value = raw[key]
        if not _type_ok(spec.kind, value):
            problems.append(Problem(file, where, f"must be {spec.kind}, got {_kind_of(value)}"))
            continue
        message = spec.check(value) if spec.check else None
        if message:
            problems.append(Problem(file, where, message))
        if spec.item_check:
            for index, item in enumerate(value):
                message = spec.item_check(item)
                if message:
                    problems.append(Problem(file, f"{where}[{index}]", message))
        if spec.item_fields:
            value = [
                read_table(item, spec.item_fields, file, f"{where}[{i}]", problems) for i, item in enumerate(value)
            ]
        values[key] = value
    return values if len(problems) == before else None


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    return "a table" if isinstance(value, dict) else type(value).__name__


# ---------------------------------------------------------------------------------------------- building models


def build_resource(values: dict[str, Any]) -> Resource:
    audience = values.get("audience") or values.get("resource") or ""
    return Resource(
        values["name"],
        audience,
        tuple(values["secondary_audiences"]),
        tuple(values["scopes"]),
        values.get("resource"),
    )


def resource_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a resource beyond its types: (key path below the resource, message) pairs."""
    if values.get("audience") is None and values.get("resource") is None:
        return [("audience", "give the audience (what tokens carry in aud), or resource (an RFC 8707 resource URI)")]
    return []


def build_client(values: dict[str, Any]) -> Client:
    grants = values["grant_types"]
    if grants is None:  # defaults: what the client's secret and redirect URIs make possible
        grants = [CLIENT_CREDENTIALS] if values["client_secret"] is not None else []
        if values["redirect_uris"]:
            grants += [AUTHORIZATION_CODE, REFRESH_TOKEN]
    return Client(
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        name=values["name"],
        grant_types=tuple(dict.fromkeys(GRANT_ALIASES.get(g, g) for g in grants)),
        redirect_uris=tuple(values["redirect_uris"]),
        post_logout_redirect_uris=tuple(values["post_logout_redirect_uris"]),
        allowed_scopes=tuple(values["allowed_scopes"]),
        app_roles=tuple(values["app_roles"]),
        public_key=values["public_key"],
        refresh_token_rotation=values["refresh_token_rotation"],
        jwks=values["jwks"],
        cors_origins=tuple(values["cors_origins"]),
        claims=dict(values["claims"]),
        active=values.get("active", True),
    )


def build_user(values: dict[str, Any]) -> User:
    values = dict(values)
    values["id"] = values.get("id") or ids.stable_guid("user", values["user_name"])
    values["ocid"] = values.get("ocid") or ids.stable_ocid("user", values["id"])
    values.setdefault("active", True)
    values["groups"] = tuple(values["groups"])
    values["app_roles"] = tuple(values["app_roles"])
    values["claims"] = dict(values["claims"])
    values["api_keys"] = tuple(values.get("api_keys", ()))
    return User(**values)


def read_api_keys(user: User, directory: Path | None) -> tuple[tuple[ApiSigningKey, ...], list[tuple[str, str]]]:
    """The OCI API signing keys of a user's `api_keys` files, and (key path, message) problems."""
    keys: list[ApiSigningKey] = []
    problems: list[tuple[str, str]] = []
    if directory is None:
        return (), problems
    for index, file in enumerate(user.api_keys):
        path = directory / file
        if not path.is_file():
            problems.append((f"api_keys[{index}]", f"no such file {file!r} in {directory}"))
            continue
        try:
            key = load_api_key(path)
        except KeyFileError as exc:
            problems.append((f"api_keys[{index}]", str(exc)))
            continue
        if any(known.fingerprint == key.fingerprint for known in keys):
            problems.append((f"api_keys[{index}]", f"{file} is the same key as an earlier one ({key.fingerprint})"))
            continue
        keys.append(key)
    return tuple(keys), problems


def with_api_keys(user: User, directory: Path | None) -> User:
    """The user with the keys of its `api_keys` files (checked by `read_api_keys`) loaded."""
    if not user.api_keys:
        return user
    return replace(user, api_signing_keys=read_api_keys(user, directory)[0])


def client_problems(client: Client, catalog: ScopeCatalog, directory: Path | None) -> list[tuple[str, str]]:
    """What is wrong with a client beyond its types: (key path below the client, message) pairs."""
    found = []
    if client.is_public and CLIENT_CREDENTIALS in client.grant_types:
        found.append(("grant_types", "a public client (no client_secret) cannot use client_credentials"))
    if not client.redirect_uris and ({AUTHORIZATION_CODE, IMPLICIT} & set(client.grant_types)):
        found.append(("redirect_uris", "authorization_code and implicit need at least one redirect URI"))
    for index, scope in enumerate(client.allowed_scopes):
        if scope in OIDC_SCOPES or scope.startswith(IDM_PREFIX) or catalog.lookup(scope):
            continue
        found.append(
            (
                f"allowed_scopes[{index}]",
                f"{scope!r} is not a scope of any resource; a fully qualified scope is the resource's "
                'audience followed by the scope value, e.g. "https://orders.example.com/read"',
            )
        )
    found.extend(read_keys(client.public_key, client.jwks, directory)[1])
    return found


def with_keys(client: Client, directory: Path | None) -> Client:
    """The client with the keys of its `public_key`/`jwks` files (checked by `client_problems`) loaded."""
    if client.public_key is None and client.jwks is None:
        return client
    return replace(client, keys=read_keys(client.public_key, client.jwks, directory)[0])


def read_keys(
    public_key: str | None, jwks: str | None, directory: Path | None
) -> tuple[tuple[VerificationKey, ...], list[tuple[str, str]]]:
    """The keys of a `public_key` PEM file and/or a `jwks` file in `directory`, and (key, message) problems."""
    keys: list[VerificationKey] = []
    problems: list[tuple[str, str]] = []
    if directory is None:
        return (), problems
    for name, file, load in (("public_key", public_key, load_pem), ("jwks", jwks, load_jwks)):
        if file is None:
            continue
        path = directory / file
        if not path.is_file():
            problems.append((name, f"no such file {file!r} in {directory}"))
            continue
        try:
            loaded = load(path)
        except KeyFileError as exc:
            problems.append((name, str(exc)))
            continue
        keys.extend(loaded if isinstance(loaded, tuple) else (loaded,))
    return tuple(keys), problems


def build_trust(values: dict[str, Any], rules: list[ImpersonationRule]) -> Trust:
    return Trust(
        name=values["name"],
        issuer=values["issuer"],
        public_key=values["public_key"],
        jwks=values["jwks"],
        subject_claim=values["subject_claim"],
        subject_mapping=values["subject_mapping"],
        clients=tuple(values["clients"]),
        client_claim=values["client_claim"],
        client_claim_values=tuple(values["client_claim_values"]),
        impersonation=tuple(rules),
    )


def trust_problems(trust: Trust, clients: dict[str, Client], users: dict[str, User]) -> list[tuple[str, str]]:
    """What is wrong with a trust beyond its types: (key path below the trust, message) pairs."""
    found = []
    if trust.is_self and (trust.public_key or trust.jwks):
        found.append(
            (
                "issuer",
                'issuer "self" trusts this domain\'s own tokens, checked with its own keys: remove public_key and jwks',
            )
        )
    if not trust.is_self and not (trust.public_key or trust.jwks):
        found.append(("public_key", "give the issuer's key: public_key (a PEM file) or jwks (a JWKS file)"))
    for index, client_id in enumerate(trust.clients):
        if client_id not in clients:
            found.append((f"clients[{index}]", f"no client with client_id {client_id!r}"))
    if (trust.client_claim is None) != (not trust.client_claim_values):
        found.append(("client_claim", "client_claim and client_claim_values go together: set both or neither"))
    for index, rule in enumerate(trust.impersonation):
        if rule.user not in users:
            found.append((f"impersonation[{index}].user", f"no user with user_name {rule.user!r}"))
    return found


# ---------------------------------------------------------------------------------------------- the directory


@dataclass
class _Merged:
    domain: dict[str, Any] = field(default_factory=dict)
    domain_origin: dict[str, str] = field(default_factory=dict)
    items: dict[str, list[tuple[str, str, Any]]] = field(default_factory=lambda: {s: [] for s in LIST_SECTIONS})


def _read_file(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, "(file)", f"cannot be read: {exc}"))
        return None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(path.name, "(syntax)", f"not valid TOML: {exc}"))
        return None
    except json.JSONDecodeError as exc:
        problems.append(Problem(path.name, f"line {exc.lineno}", f"not valid JSON: {exc.msg} (column {exc.colno})"))
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(path.name, "(top)", "must be a JSON object with domain/resources/clients/users/codes/trusts")
        )
        return None
    return data


def fixture_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".toml", ".json") and p.is_file())


def _merge(directory: Path, problems: list[Problem]) -> _Merged:
    merged = _Merged()
    files = fixture_files(directory)
    if not files:
        problems.append(Problem(str(directory), "(directory)", "holds no *.toml or *.json fixture file"))
    for path in files:
        data = _read_file(path, problems)
        if data is None or (path.suffix == ".json" and data.keys() == {"keys"}):
            continue  # a JWKS named by a client's or trust's `jwks`, not fixtures
        for key, value in data.items():
            if key not in SECTIONS:
                problems.append(Problem(path.name, key, f"unknown section; expected one of {', '.join(SECTIONS)}"))
            elif key == "domain":
                if not isinstance(value, dict):
                    problems.append(Problem(path.name, "domain", f"must be a table, got {_kind_of(value)}"))
                    continue
                for name, setting in value.items():
                    if name in merged.domain:
                        problems.append(
                            Problem(path.name, f"domain.{name}", f"already set in {merged.domain_origin[name]}")
                        )
                    merged.domain[name] = setting
                    merged.domain_origin[name] = path.name
            elif not isinstance(value, list):
                problems.append(
                    Problem(path.name, key, f"must be an array of tables ([[{key}]]), got {_kind_of(value)}")
                )
            else:
                merged.items[key].extend((path.name, f"{key}[{i}]", item) for i, item in enumerate(value))
    return merged


ID_KEYS = {
    "resources": "audience",
    "clients": "client_id",
    "users": "user_name",
    "codes": "code",
    "trusts": "issuer",
    "client_metadata": "url",
    "groups": "display_name",
}


def _without_duplicates(entries: list[tuple[str, str, Any]], key: str, problems: list[Problem]) -> list:
    """Entries whose id was not seen before; a repeated id is a problem at the repeat."""
    seen: dict[str, tuple[str, str]] = {}
    kept = []
    for file, path, item in entries:
        ident = item.get(key) if isinstance(item, dict) else None
        if isinstance(ident, str) and ident in seen:
            first_file, first_path = seen[ident]
            problems.append(
                Problem(file, f"{path}.{key}", f"duplicate {key} {ident!r} (first in {first_file}: {first_path})")
            )
            continue
        if isinstance(ident, str):
            seen[ident] = (file, path)
        kept.append((file, path, item))
    return kept


def _read(directory: Path) -> tuple[Fixtures | None, list[Problem]]:
    problems: list[Problem] = []
    if directory.is_file():
        return None, [
            Problem(
                str(directory),
                "(directory)",
                f"is a file; fixtures are a directory of *.toml / *.json files, such as its folder "
                f"{str(directory.parent)!r}",
            )
        ]
    if not directory.is_dir():
        return None, [Problem(str(directory), "(directory)", "no such directory")]
    merged = _merge(directory, problems)

    domain_file = next(iter(merged.domain_origin.values()), "(domain)")
    domain_values = read_table(merged.domain, DOMAIN_FIELDS, domain_file, "domain", problems)
    if domain_values:
        domain_values["trusted_metadata_locations"] = tuple(domain_values["trusted_metadata_locations"])
    domain = DomainSettings(**domain_values) if domain_values else DomainSettings()

    checked: dict[str, list[tuple[str, str, Any]]] = {}
    refused: dict[str, list[tuple[str, str, dict]]] = {}  # tables with problems: their references still checked
    for section, fields in LIST_SECTIONS.items():
        checked[section], refused[section] = [], []
        entries = _without_duplicates(merged.items[section], ID_KEYS[section], problems)
        for file, path, raw in entries:
            values = read_table(raw, fields, file, path, problems)
            if values is not None:
                checked[section].append((file, path, values))
            elif isinstance(raw, dict):
                refused[section].append((file, path, raw))

    resources = [build_resource(v) for _, _, v in checked["resources"]]
    catalog = ScopeCatalog(resources, domain.tenant or "idcs-check")
    scope_owner: dict[str, str] = {}
    named_by: dict[str, str] = {}
    for (file, path, values), resource in zip(checked["resources"], resources, strict=True):
        for key, message in resource_problems(values):
            problems.append(Problem(file, f"{path}.{key}", message))
        if resource.resource is not None:
            if resource.resource in named_by:
                message = f"{resource.resource!r} already names resource {named_by[resource.resource]!r}"
                problems.append(Problem(file, f"{path}.resource", message))
            named_by[resource.resource] = resource.name
        for value in resource.scopes:
            qualified = resource.audience + value
            if qualified in scope_owner:
                message = f"{qualified!r} is also a scope of resource {scope_owner[qualified]!r}"
                problems.append(Problem(file, f"{path}.scopes", message))
            scope_owner[qualified] = resource.name

    clients: dict[str, Client] = {}
    for file, path, values in checked["clients"]:
        client = build_client(values)
        for key, message in client_problems(client, catalog, directory):
            problems.append(Problem(file, f"{path}.{key}", message))
        clients[client.client_id] = with_keys(client, directory)

    users: dict[str, User] = {}
    for file, path, values in checked["users"]:
        user = build_user(values)
        keys, key_problems = read_api_keys(user, directory)
        problems.extend(Problem(file, f"{path}.{key}", message) for key, message in key_problems)
        users[user.user_name] = replace(user, api_signing_keys=keys)
    user_ids: dict[str, tuple[str, str]] = {}
    for (file, path, _), user in zip(checked["users"], users.values(), strict=True):
        first = user_ids.setdefault(user.guid, (file, path))
        if first != (file, path):
            message = f"duplicate id {user.guid!r} (first in {first[0]}: {first[1]})"
            problems.append(Problem(file, f"{path}.id", message))
    groups, users = _groups(checked["groups"], users, problems)

    codes: dict[str, FixedCode] = {}
    for file, path, values in checked["codes"]:
        code = FixedCode(**values)
        client = clients.get(code.client_id)
        if client is None:
            problems.append(Problem(file, f"{path}.client_id", f"no client with client_id {code.client_id!r}"))
        elif code.redirect_uri not in client.redirect_uris:
            problems.append(
                Problem(
                    file,
                    f"{path}.redirect_uri",
                    f"{code.redirect_uri!r} is not one of client {client.client_id}'s redirect_uris",
                )
            )
        if code.user not in users:
            problems.append(Problem(file, f"{path}.user", f"no user with user_name {code.user!r}"))
        if client is not None and code.user in users:
            try:
                catalog.resolve(client, code.scope, users[code.user])
            except OAuthError as exc:
                problems.append(Problem(file, f"{path}.scope", exc.reason))
        codes[code.code] = code
    for file, path, raw in refused["codes"]:  # so that one `mockidp check` reports every problem at once
        if isinstance(raw.get("client_id"), str) and raw["client_id"] not in clients:
            problems.append(Problem(file, f"{path}.client_id", f"no client with client_id {raw['client_id']!r}"))
        if isinstance(raw.get("user"), str) and raw["user"] not in users:
            problems.append(Problem(file, f"{path}.user", f"no user with user_name {raw['user']!r}"))

    trusts: list[Trust] = []
    for file, path, values in checked["trusts"]:
        rules = [ImpersonationRule(r["rule"], r["user"], parse_rule(r["rule"])) for r in values["impersonation"]]
        trust = build_trust(values, rules)
        keys, key_problems = read_keys(trust.public_key, trust.jwks, directory)
        for key, message in [*trust_problems(trust, clients, users), *key_problems]:
            problems.append(Problem(file, f"{path}.{key}", message))
        trusts.append(replace(trust, keys=keys))

    client_metadata = _client_metadata(directory, domain, checked["client_metadata"], problems)
    fixtures = Fixtures(
        directory,
        domain,
        tuple(resources),
        clients,
        users,
        codes,
        tuple(trusts),
        client_metadata=client_metadata,
        groups=groups,
    )
    return (None if problems else fixtures), problems


def _client_metadata(
    directory: Path, domain: DomainSettings, entries: list[tuple[str, str, Any]], problems: list[Problem]
) -> dict[str, Path]:
    """`[[client_metadata]]`: Client ID Metadata Documents served from files; each is checked as if fetched."""
    from mockidp.core.cimd.document import DocumentRefused, parse_document

    found: dict[str, Path] = {}
    for file, path, values in entries:
        if not domain.client_id_metadata_documents:
            problems.append(
                Problem(file, path, "set [domain] client_id_metadata_documents = true to use client metadata documents")
            )
            continue
        name = Path(values["file"])
        local = directory / name
        if name.is_absolute() or ".." in name.parts or len(name.parts) < 2:
            problems.append(
                Problem(
                    file,
                    f"{path}.file",
                    f'must be a relative path in a sub-folder, e.g. "cimd/client.json" (top-level *.json files '
                    f"are fixtures), got {values['file']!r}",
                )
            )
            continue
        try:
            parse_document(values["url"], local.read_bytes())
        except OSError as exc:
            problems.append(Problem(file, f"{path}.file", f"cannot be read: {exc.strerror or exc}"))
            continue
        except DocumentRefused as exc:
            problems.append(Problem(file, f"{path}.file", str(exc)))
            continue
        found[values["url"]] = local
    return found


def _groups(
    entries: list[tuple[str, str, Any]], users: dict[str, User], problems: list[Problem]
) -> tuple[tuple[Group, ...], dict[str, User]]:
    """`[[groups]]` and the users' `groups` keys made one membership: a group's members are its `members` plus
    every user whose `groups` names it; a user's `groups` are the names it lists plus every group listing it. A
    name in a user's `groups` that no `[[groups]]` entry has is a group of its own (no description)."""
    members: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for file, path, values in entries:
        name = values["display_name"]
        descriptions[name] = values["description"]
        members[name] = []
        for index, user_name in enumerate(values["members"]):
            if user_name not in users:
                problems.append(Problem(file, f"{path}.members[{index}]", f"no user with user_name {user_name!r}"))
            elif user_name not in members[name]:
                members[name].append(user_name)
    for user in users.values():
        for name in user.groups:
            listed = members.setdefault(name, [])
            if user.user_name not in listed:
                listed.append(user.user_name)
    by_user: dict[str, list[str]] = {name: list(user.groups) for name, user in users.items()}
    for name, listed in members.items():
        for user_name in listed:
            if name not in by_user[user_name]:
                by_user[user_name].append(name)
    users = {name: replace(user, groups=tuple(by_user[name])) for name, user in users.items()}
    groups = tuple(Group(name, descriptions.get(name, ""), tuple(listed)) for name, listed in members.items())
    return groups, users


def check_fixtures(directory: str | Path) -> list[Problem]:
    """Every problem in a fixture directory (empty list: it is fine)."""
    return _read(Path(directory))[1]


def load_fixtures(directory: str | Path) -> Fixtures:
    """Read a fixture directory, or raise `FixtureError` listing every problem."""
    fixtures, problems = _read(Path(directory))
    if fixtures is None:
        raise FixtureError(problems)
    return fixtures
