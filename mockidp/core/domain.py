"""`IdentityDomain`: one identity domain — its fixtures, keys, clock and state — with no HTTP in it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from mockidp.core import cimd, runtime
from mockidp.core.clock import Clock
from mockidp.core.fixtures import build_client, build_user, load_fixtures, with_api_keys, with_keys
from mockidp.core.keys import KeyRing, SigningKey, load_or_adopt, load_or_create
from mockidp.core.model import Client, Fixtures, Trust, User
from mockidp.core.scopes import ScopeCatalog
from mockidp.core.stores import Backend
from mockidp.core.stores.contract import Store
from mockidp.core.stores.memory import MemoryStore

DEFAULT_PORTS = {"http": 80, "https": 443}
T = TypeVar("T")


@dataclass(frozen=True)
class Urls:
    """The domain's URLs as a client reached it (or as `--public-url` says).

    `base` is the domain URL with no trailing slash; endpoints carry an explicit port, as the real
    discovery document does (`https://idcs-….identity.oraclecloud.com:443/oauth2/v1/token`).
    """

    base: str
    issuer: str
    previous_issuer: str | None = None  # `[domain] previous_issuer`: still accepted on tokens presented back

    @property
    def issuers(self) -> tuple[str, ...]:
        """The issuers whose tokens this domain accepts back: its own, and the one before a change."""
        return (self.issuer, self.previous_issuer) if self.previous_issuer else (self.issuer,)

    @property
    def endpoint_base(self) -> str:
        parts = urlsplit(self.base)
        if parts.port is not None or parts.scheme not in DEFAULT_PORTS:
            return self.base
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{host}:{DEFAULT_PORTS[parts.scheme]}{parts.path}"

    @property
    def tenant_iss(self) -> str:
        return self.endpoint_base

    def endpoint(self, path: str) -> str:
        return self.endpoint_base + path


def tenant_from_key(key: SigningKey) -> str:
    """A tenant name that stays the same as long as the signing key does."""
    numbers = key.private_key.public_key().public_numbers()
    return "idcs-" + hashlib.sha256(numbers.n.to_bytes(256, "big")).hexdigest()[:32]


def fixture_fingerprint(directory: str | Path) -> str:
    """What identifies a fixture directory's content wherever it is mounted: a hash of its fixture files."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).iterdir()):
        if path.suffix in (".toml", ".json") and path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


class IdentityDomain:
    def __init__(self, fixtures: Fixtures, signing_key: SigningKey, store: Store | None = None) -> None:
        self.store: Store = store if store is not None else MemoryStore()
        self.clock = Clock(self.store)
        self.store.bind_clock(self.clock.now)
        self.tenant = fixtures.domain.tenant or tenant_from_key(signing_key)
        self._urls: dict[str, Urls] = {}
        # Caches of what run-time records build into, keyed by the record's revision (records never change).
        self._built: dict[str, Client | User] = {}
        self._catalogs: dict[str, ScopeCatalog] = {}
        # What features derive from state and fixtures (e.g. SCIM resources by record revision): keys must name
        # what they were built from, so a stale entry is never read; users of it bound its size; reset empties it.
        self.cache: dict[Any, Any] = {}
        self.use_fixtures(fixtures, signing_key)

    def use_fixtures(self, fixtures: Fixtures, signing_key: SigningKey) -> None:
        """Serve these fixtures from now on (at start, and when they are reloaded: core/reload.py). The state in
        the store stays; the tenant cannot change (requests find their domain by it)."""
        tenant = fixtures.domain.tenant or tenant_from_key(signing_key)
        if tenant != self.tenant:
            raise ValueError(f"the tenant would change from {self.tenant} to {tenant}; restart to change it")
        self.fixtures = fixtures
        self.settings = fixtures.domain
        self.keys = KeyRing(signing_key, self.store)
        self._fixture_scopes = ScopeCatalog(fixtures.resources, self.tenant)
        self._fixture_trusts: dict[str, Trust] = {trust.issuer: trust for trust in fixtures.trusts}
        self._users_by_email = {user.email.lower(): user for user in fixtures.users.values() if user.email}
        self._urls.clear()
        self._built.clear()
        self._catalogs.clear()
        self.cache.clear()

    @classmethod
    def load(
        cls, directory: str | Path, store: Store | None = None, *, backend: Backend | None = None
    ) -> IdentityDomain:
        """Read fixtures (raising `FixtureError`) and the signing key next to them (creating it if missing).

        With a shared `backend` (Redis), the domain's store comes from it, and a missing key is made by the first
        process to start on these fixtures and used by all (raising `StoreUnavailable` if Redis is down)."""
        fixtures = load_fixtures(directory)
        path = Path(directory) / fixtures.domain.signing_key
        if backend is not None and backend.shared:
            name = f"signing-key:{fixture_fingerprint(directory)}"
            key = load_or_adopt(path, lambda pem: backend.adopt(name, pem))
        else:
            key = load_or_create(path)
        if backend is not None and store is None:
            store = backend.store_for(fixtures.domain.tenant or tenant_from_key(key))
        return cls(fixtures, key, store)

    def client(self, client_id: str, *, documents: bool = True) -> Client | None:
        """A client by id: the fixtures', unless the control plane added, replaced or removed it; with client ID
        metadata documents on (and `documents`), a URL client_id is the client its document describes (`cimd`),
        or `cimd.ClientMetadataRefused` (an OAuthError) saying why it cannot be."""
        record = self.store.get(runtime.CLIENTS, client_id)
        if record is None:
            client = self.fixtures.clients.get(client_id)
            if client is None and documents and cimd.looks_like_url(client_id):
                if self.settings.client_id_metadata_documents:  # a metadata document, or ClientMetadataRefused
                    client = cimd.client(self, client_id)
        else:
            client = self._build(record, lambda values: with_keys(build_client(values), self.fixtures.directory))
        return self.with_grants(client)

    def user(self, user_name: str) -> User | None:
        """A user by name: the fixtures', unless the control plane or the admin API changed it; its `groups` as
        the admin API's groups say once any group was changed there."""
        record = self.store.get(runtime.USERS, user_name)
        user = self.fixtures.users.get(user_name) if record is None else self._build(record, self._build_user)
        if user is not None and self.store.get(runtime.REVISION_NS, runtime.GROUPS_REVISION) is not None:
            from mockidp.core.admin.groups import group_names

            user = replace(user, groups=group_names(self, user))
        return self.with_grants(user)

    def with_grants(self, entity: T) -> T:
        """A client or user with the app roles that Grants of the admin API gave or took back (`app_roles`
        is then what tokens, scopes and userinfo use); unchanged while no Grant was ever changed."""
        if entity is None or self.store.get(runtime.REVISION_NS, runtime.GRANTS_REVISION) is None:
            return entity
        from mockidp.core.admin import grants  # only once the admin API changed a grant

        return grants.with_grants(self, entity)

    @property
    def trusts(self) -> dict[str, Trust]:
        """Identity propagation trusts by issuer ("self" for the domain's own tokens): the fixtures', or as the
        admin API's IdentityPropagationTrusts changed them."""
        revision = self.store.get(runtime.REVISION_NS, runtime.TRUSTS_REVISION)
        if revision is None:
            return self._fixture_trusts
        from mockidp.core.admin import identity_propagation_trusts

        return self.derived("trusts", revision["rev"], lambda: identity_propagation_trusts.by_issuer(self))

    def derived(self, name: str, revision: str, build: Callable[[], T]) -> T:
        """What `build` makes of run-time records, kept while their revision stands (a changed record changes
        the revision): so a token request does not rebuild grants or trusts from the store each time."""
        key = ("derived", name)
        hit = self.cache.get(key)
        if hit is None or hit[0] != revision:
            hit = self.cache[key] = (revision, build())
        return hit[1]

    def _build_user(self, values: dict) -> User:
        return with_api_keys(build_user(values), self.fixtures.directory)

    @property
    def scopes(self) -> ScopeCatalog:
        """The scope catalog of the fixtures' resources, or of the resources as changed at run time."""
        revision = self.store.get(runtime.REVISION_NS, runtime.RESOURCES_REVISION)
        if revision is None:
            return self._fixture_scopes
        catalog = self._catalogs.get(revision["rev"])
        if catalog is None:
            self._catalogs.clear()
            catalog = self._catalogs[revision["rev"]] = ScopeCatalog(runtime.resources(self), self.tenant)
        return catalog

    def reset(self) -> None:
        """Back to the fixtures: all state dropped (tokens, codes, faults, journal, run-time entries), the
        clock back to real time, the fixture key the only key."""
        self.store.clear()
        self._built.clear()
        self._catalogs.clear()
        self.cache.clear()

    def _build(self, record: dict, build):  # noqa: ANN001, ANN202 - build_client or build_user
        values = runtime.record_values(record)
        if values is None:
            return None
        built = self._built.get(record["rev"])
        if built is None:
            if len(self._built) > 1024:
                self._built.clear()
            built = self._built[record["rev"]] = build(values)
        return built

    def user_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        if not self.store.items(runtime.USERS):
            return self._users_by_email.get(wanted)
        return next((user for user in runtime.users(self).values() if user.email.lower() == wanted), None)

    @property
    def cors_origins(self) -> frozenset[str]:
        """Every origin any client of the domain allows: what a CORS preflight (which names no client) may use."""
        return frozenset(origin for client in runtime.clients(self).values() for origin in client.cors_origins)

    def urls(self, base: str) -> Urls:
        """URLs for a base URL; cached, since every request needs them."""
        base = base.rstrip("/")
        urls = self._urls.get(base)
        if urls is None:
            issuer = base if self.settings.issuer == "self" else self.settings.issuer
            urls = self._urls[base] = Urls(base, issuer, self.settings.previous_issuer or None)
            if len(self._urls) > 64:  # a client varying its Host header must not grow this forever
                self._urls.pop(next(iter(self._urls)))
        return urls

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.keys.active.public_key
