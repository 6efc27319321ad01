"""Which identity domain a request is for, and the base URL the client used to reach it.

A request picks its domain by a `/tenants/<tenant>` path prefix, else by a Host (or X-Forwarded-Host) whose
first label names a tenant (`idcs-<id>.identity.oraclecloud.com`, `idcs-<id>.localhost`), else the first
domain. The prefix becomes part of `root_path`, so handlers and URL building see the domain as if mounted
there, and discovery advertises that base. Domains share nothing: keys, store, users, clients, sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mockidp.core.client_auth import ClientHook
from mockidp.core.domain import IdentityDomain, Urls
from mockidp.core.model import Client

DOMAIN_KEY = "mockidp.domain"
CLIENT_KEY = "mockidp.client_id"  # the client a request authenticated as (or whose token it carried)
AUTH_METHOD_KEY = "mockidp.auth_method"
UNKNOWN_TENANT_KEY = "mockidp.unknown_tenant"  # a /tenants/<name> prefix that names no domain (for the 404)
TENANTS_PREFIX = "/tenants/"
_HOST = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$")  # ASCII digits only


def usable_host(host: str) -> bool:
    """A Host (or X-Forwarded-Host) value that makes a URL: a name or an [IPv6] address, and a port in range."""
    match = _HOST.match(host)
    return match is not None and (match.group(1) is None or int(match.group(1)) <= 65535)


@dataclass(frozen=True)
class ServerSettings:
    """How this server runs (as opposed to what a domain is): set from the command line or `MockIdP`."""

    public_url: str | None = None
    max_body_bytes: int = 64 * 1024
    body_timeout: float = 10.0  # seconds from a request's head to the end of its body; then 408
    control: bool = True  # serve the control plane /mockidp/v1 (faults, clock, keys, tokens, journal, …)
    control_token: str | None = None  # when set, control calls need `Authorization: Bearer <token>`
    journal_size: int = 1000  # requests kept in the journal; 0 = no journal
    # `--auto-login [USER]`: False = show the sign-in page; True = sign in the login_hint user, else the first
    # user; a user name = sign in the login_hint user, else that one.
    auto_login: bool | str = False
    # Answer a plain token or JWKS request in one layer (web/fast_lane.py); False sends every request through
    # every middleware (what tests/test_fast_lane.py compares it with).
    fast_lane: bool = True


def check_distinct_tenants(domains: list[IdentityDomain]) -> None:
    """Refuse two domains with one tenant: requests could not tell them apart."""
    seen: dict[str, IdentityDomain] = {}
    for domain in domains:
        first = seen.setdefault(domain.tenant, domain)
        if first is not domain:
            raise ValueError(
                f"the fixtures in {first.fixtures.directory} and {domain.fixtures.directory} are both identity "
                f"domain {domain.tenant}; give each its own [domain] tenant (a tenant left unset is derived "
                "from the signing key, so two copies of one fixture directory have the same one)"
            )


class DomainSelector:
    """ASGI middleware that attaches the request's `IdentityDomain` to the scope."""

    def __init__(self, app: ASGIApp, domains: list[IdentityDomain]) -> None:
        self.app = app
        self.domains = domains
        self.by_tenant = {domain.tenant: domain for domain in domains}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[DOMAIN_KEY] = self.select(scope)
        await self.app(scope, receive, send)

    def select(self, scope: Scope) -> IdentityDomain:
        """The domain a request is for (a `/tenants/<tenant>` prefix moves into `root_path`)."""
        path: str = scope["path"]
        root = scope.get("root_path", "")
        local = path[len(root) :] if root and path.startswith(root) else path
        if local.startswith(TENANTS_PREFIX):
            tenant = local[len(TENANTS_PREFIX) :].split("/", 1)[0]
            domain = self.by_tenant.get(tenant)
            if domain is not None:
                scope["root_path"] = root + TENANTS_PREFIX + tenant
                return domain
            scope[UNKNOWN_TENANT_KEY] = tenant
        if len(self.domains) > 1:
            headers = dict(scope["headers"])
            for name in (b"x-forwarded-host", b"host"):
                value = headers.get(name)
                if value:
                    label = value.decode("latin-1").split(",")[0].strip().split(".", 1)[0].split(":", 1)[0].lower()
                    if label in self.by_tenant:
                        return self.by_tenant[label]
                    break
        return self.domains[0]


def domain_of(request: Request) -> IdentityDomain:
    return request.scope[DOMAIN_KEY]


def client_recorder(request: Request) -> ClientHook:
    """A hook for core calls that keeps the authenticated client in the request scope (CORS reads it)."""

    def record(client: Client, method: str) -> None:
        request.scope[CLIENT_KEY] = client.client_id
        request.scope[AUTH_METHOD_KEY] = method

    return record


def base_url(request: Request, settings: ServerSettings) -> str:
    """The URL clients reach this domain at: `--public-url`, else what the request (and proxy headers) say."""
    prefix = request.scope.get("root_path", "")
    if settings.public_url:
        return settings.public_url.rstrip("/") + prefix
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        scheme = request.scope.get("scheme", "http")  # not request.url: building the whole URL costs ~4 us
    host = headers.get("x-forwarded-host", "").split(",")[0].strip() or headers.get("host", "")
    if not usable_host(host):
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}" if ":" not in server[0] else f"[{server[0]}]:{server[1]}"
    return f"{scheme}://{host}{prefix}"


def urls_of(request: Request) -> Urls:
    settings: ServerSettings = request.app.state.settings
    return domain_of(request).urls(base_url(request, settings))
