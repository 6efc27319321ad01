"""Scope resolution as the identity domain does it (idcs-reference §4).

- A resource scope is fully qualified as audience + value, concatenated with no separator
  (`https://orders.example.com/` + `read`). Tokens carry the short value in `scope`, the audience in `aud`.
- A resource scope the client was not given → `unauthorized_client` "Client authorization failed.".
- `urn:opc:idm:*` scopes come from the app roles of the client (and of the user, for user tokens);
  over-asking is not an error, the token carries the granted subset. `urn:opc:idm:__myscopes__` = all of them.
- OIDC scopes need no grant. `urn:opc:resource:expiry=N` asks for an N-second access token.
- Scopes of more than one resource need `urn:opc:resource:multiresourcescope`, which then yields one
  access token per resource (`tokenResponses`, per the Scopes page of the identity-domain guide).
- `resource` (RFC 8707) names one resource app, by its `resource` key or else its audience. Its scopes may then
  be asked for short (`read`) or fully qualified; every resource scope asked for must be its own. The token's
  `aud` is that app's audience (which is its `resource` when it declares no audience). An unknown resource, or
  one the client has no allowed scope of, is `invalid_target`. [choice] With `resource` and no scope of it in
  the request (e.g. only `openid`, or no scope at all), the token carries every scope of that resource the
  client is allowed; `urn:opc:idm:*` and multi-resource scopes cannot be combined with `resource`.
  Granted items are kept fully qualified, so a code or refresh token redeemed later resolves the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from mockidp.core.errors import invalid_request, invalid_scope, invalid_target, unauthorized_client
from mockidp.core.model import Client, Resource, User

OIDC_SCOPES = (
    "openid",
    "profile",
    "offline_access",
    "email",
    "address",
    "phone",
    "groups",
    "get_groups",
    "approles",
    "get_approles",
)
IDM_PREFIX = "urn:opc:idm:"
MY_SCOPES = "urn:opc:idm:__myscopes__"
ROLE_PREFIX = "urn:opc:idm:role."
EXPIRY_PREFIX = "urn:opc:resource:expiry="
MULTI_RESOURCE = "urn:opc:resource:multiresourcescope"
MIN_TTL, MAX_TTL = 60, 31536000

# [choice] Identity-domain scopes granted by the domain's own app roles. Roles not listed here
# (e.g. roles of your own apps) grant no urn:opc:idm:* scope. "Authenticated" is held by every user.
APP_ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "Authenticated": ("urn:opc:idm:t.user.me",),
    "Authenticated Client": ("urn:opc:idm:t.security.client",),
    "Me": ("urn:opc:idm:t.user.me",),
    "User Administrator": ("urn:opc:idm:t.user.manager", "urn:opc:idm:t.users", "urn:opc:idm:t.groups"),
    "User Manager": ("urn:opc:idm:t.user.manager", "urn:opc:idm:t.users"),
    "Application Administrator": ("urn:opc:idm:t.app", "urn:opc:idm:t.security.client"),
    "Security Administrator": ("urn:opc:idm:t.security", "urn:opc:idm:t.settings"),
    "Audit Administrator": ("urn:opc:idm:t.audit", "urn:opc:idm:t.reports"),
    "Identity Domain Administrator": (
        "urn:opc:idm:t.user.me",
        "urn:opc:idm:t.users",
        "urn:opc:idm:t.groups",
        "urn:opc:idm:t.app",
        "urn:opc:idm:t.security",
        "urn:opc:idm:t.security.client",
        "urn:opc:idm:t.settings",
        "urn:opc:idm:t.audit",
        "urn:opc:idm:t.reports",
        "urn:opc:idm:t.user.manager",
    ),
}


@dataclass(frozen=True)
class ResourceScopes:
    """The granted scopes of one resource: what goes into one access token's `aud` and `scope`."""

    audiences: tuple[str, ...]
    values: tuple[str, ...]  # short values for a custom resource, full names for identity-domain scopes

    @property
    def aud(self) -> str | list[str]:
        return self.audiences[0] if len(self.audiences) == 1 else list(self.audiences)


@dataclass(frozen=True)
class GrantedScopes:
    items: tuple[str, ...]  # the granted items as a client asks for them (kept for refresh)
    oidc: tuple[str, ...]
    resources: tuple[ResourceScopes, ...]  # more than one only with urn:opc:resource:multiresourcescope
    expiry: int | None = None
    multi: bool = False

    def has(self, scope: str) -> bool:
        return scope in self.oidc

    def scope_claim(self, resource: ResourceScopes) -> str:
        return " ".join((*resource.values, *self.oidc))


class ScopeCatalog:
    """The scopes a domain defines, indexed once so that resolving a request is dictionary lookups."""

    def __init__(self, resources: Iterable[Resource], tenant: str) -> None:
        self.resources = tuple(resources)
        self._by_qualified: dict[str, tuple[int, str]] = {}
        self._by_indicator: dict[str, Resource] = {}
        for index, resource in enumerate(self.resources):
            for value in resource.scopes:
                self._by_qualified[resource.audience + value] = (index, value)
            self._by_indicator.setdefault(resource.audience, resource)
        for resource in self.resources:  # a `resource` key wins over another app's audience
            if resource.resource is not None:
                self._by_indicator[resource.resource] = resource
        self.idm_audiences = (f"https://{tenant}.identity.oraclecloud.com", f"urn:opc:lbaas:logicalguid={tenant}")

    def lookup(self, qualified: str) -> tuple[Resource, str] | None:
        found = self._by_qualified.get(qualified)
        return None if found is None else (self.resources[found[0]], found[1])

    def idm_scopes(self, client: Client, user: User | None) -> tuple[str, ...]:
        roles = list(client.app_roles)
        if user is not None:
            roles += ["Authenticated", *user.app_roles]
        return _unique(scope for role in roles for scope in APP_ROLE_SCOPES.get(role, ()))

    def target(self, client: Client, indicator: str) -> Resource:
        """The resource app an RFC 8707 `resource` parameter names, if this client may use it; else invalid_target."""
        resource = self._by_indicator.get(indicator)
        if resource is None:
            known = ", ".join(repr(r.resource or r.audience) for r in self.resources) or "none"
            raise invalid_target(
                f"The resource {indicator!r} is not a resource server of this identity domain; "
                f"name one by its resource or audience ({known})."
            )
        if not any(resource.audience + value in client.allowed_scopes for value in resource.scopes):
            raise invalid_target(
                f"Client {client.client_id} may not get tokens for resource {indicator!r}: none of that "
                "resource's scopes is in its allowed_scopes."
            )
        return resource

    def resolve(
        self, client: Client, requested: str | None, user: User | None = None, resource: str | None = None
    ) -> GrantedScopes:
        """Decide what a request's `scope` (and `resource`, RFC 8707) grants to this client (and user), or raise
        the IDCS error."""
        if resource is not None:
            requested = self._for_target(client, self.target(client, resource), requested)
        items = _unique((requested or "").split())
        if not items:
            raise invalid_request(
                "The scope parameter is missing: ask for at least one scope, e.g. "
                '"openid" or a resource scope such as "https://api.example.com/read".'
            )
        oidc: list[str] = []
        idm: list[str] = []
        by_resource: dict[str, list[str]] = {}
        granted_items: list[str] = []
        expiry: int | None = None
        multi = False
        grantable_idm = self.idm_scopes(client, user)
        for item in items:
            if item in OIDC_SCOPES:
                oidc.append(item)
            elif item.startswith(EXPIRY_PREFIX):
                expiry = _expiry(item)
            elif item == MULTI_RESOURCE:
                multi = True
            elif item == MY_SCOPES:
                idm.extend(grantable_idm)
            elif item.startswith(ROLE_PREFIX):
                idm.extend(self._role_scopes(unquote(item[len(ROLE_PREFIX) :]), client, user))
            elif item.startswith(IDM_PREFIX):
                if item in grantable_idm:
                    idm.append(item)
            else:
                found = self.lookup(item)
                if found is None:
                    raise invalid_scope(
                        f'The scope "{item}" is not defined in this identity domain. A resource '
                        "scope is its audience followed by its value, e.g. "
                        '"https://api.example.com/read".'
                    )
                resource, value = found
                if item not in client.allowed_scopes:
                    raise unauthorized_client(
                        f"client {client.client_id} requested scope {item!r}, which is not in its allowed_scopes"
                    )
                by_resource.setdefault(resource.audience, []).append(value)
            granted_items.append(item)

        resources = [self._custom(audience, values) for audience, values in by_resource.items()]
        idm = list(_unique(idm))
        if idm:
            resources.append(ResourceScopes(self.idm_audiences, tuple(idm)))
        if len(resources) > 1 and not multi:
            raise invalid_scope(
                "Scopes of more than one resource were requested; add "
                f'"{MULTI_RESOURCE}" to get one access token per resource.'
            )
        if not resources:
            if not oidc:
                raise invalid_scope(
                    f"None of the requested scopes can be granted to client {client.client_id}: "
                    'identity-domain scopes come from its app_roles (e.g. "Authenticated Client").'
                )
            resources.append(ResourceScopes(self.idm_audiences, ()))
        return GrantedScopes(tuple(granted_items), tuple(_unique(oidc)), tuple(resources), expiry, multi)

    def _for_target(
        self, client: Client, target: Resource, requested: str | None, default: Iterable[str] | None = None
    ) -> str:
        """The request's scope with `target`'s scopes fully qualified; refuses scopes of anything else. When it
        names none of them, `default` (else every scope of `target` the client is allowed) is added."""
        items: list[str] = []
        own = False
        for item in _unique((requested or "").split()):
            if item in OIDC_SCOPES or item.startswith(EXPIRY_PREFIX):
                items.append(item)
                continue
            if item == MULTI_RESOURCE or item.startswith(IDM_PREFIX):
                raise invalid_scope(
                    f'The scope "{item}" is not a scope of resource {target.resource or target.audience!r}; '
                    "with the resource parameter, ask only for that resource's scopes (and OpenID scopes)."
                )
            if item in target.scopes:
                item = target.audience + item
            found = self.lookup(item)
            if found is None or found[0] is not target:
                raise invalid_scope(
                    f'The scope "{item}" is not a scope of resource {target.resource or target.audience!r}; '
                    f"its scopes are {', '.join(target.scopes)} (short, or fully qualified as "
                    f'"{target.audience}{target.scopes[0]}").'
                )
            items.append(item)
            own = True
        if not own:  # [choice] every scope of the resource the client is allowed
            allowed = [target.audience + v for v in target.scopes if target.audience + v in client.allowed_scopes]
            items += allowed if default is None else default
        return " ".join(items)

    def narrow(
        self,
        granted: GrantedScopes,
        client: Client,
        requested: str | None,
        user: User | None,
        resource: str | None = None,
    ) -> GrantedScopes:
        """Scopes for a refresh: the original grant, or a subset of it when the client asks (RFC 6749 §6);
        with `resource`, only the part of it for that resource (RFC 8707 §2.2)."""
        if resource is not None:
            target = self.target(client, resource)
            kept = [item for item in granted.items if self._belongs(item, target)]
            if not any(self.lookup(item) for item in kept):
                raise invalid_target(
                    f"The original grant has no scope of resource {resource!r}, so a token for it cannot be "
                    f"issued from this grant (granted: {' '.join(granted.items)})."
                )
            granted = self.resolve(client, " ".join(kept), user)
            if requested:
                requested = self._for_target(client, target, requested, [i for i in kept if self.lookup(i)])
        if not requested:
            return self.resolve(client, " ".join(granted.items), user)
        extra = [item for item in _unique(requested.split()) if item not in granted.items]
        if extra:
            raise invalid_scope(
                f'The scope "{extra[0]}" was not granted originally; a refresh can only '
                "keep or narrow the original scopes."
            )
        return self.resolve(client, requested, user)

    def _belongs(self, item: str, target: Resource) -> bool:
        """Whether a granted item is for `target` (resource scopes) or for no resource (OpenID and expiry)."""
        found = self.lookup(item)
        if found is not None:
            return found[0] is target
        return item in OIDC_SCOPES or item.startswith(EXPIRY_PREFIX)

    def _custom(self, audience: str, values: list[str]) -> ResourceScopes:
        resource = next(r for r in self.resources if r.audience == audience)
        return ResourceScopes((resource.audience, *resource.secondary_audiences), tuple(_unique(values)))

    def _role_scopes(self, role: str, client: Client, user: User | None) -> tuple[str, ...]:
        user_roles = () if user is None else ("Authenticated", *user.app_roles)
        if role not in client.app_roles or (user is not None and role not in user_roles):
            return ()
        return APP_ROLE_SCOPES.get(role, ())


def _expiry(item: str) -> int:
    raw = item[len(EXPIRY_PREFIX) :]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not MIN_TTL <= int(raw) <= MAX_TTL:
        raise invalid_scope(f'"{item}" must give a whole number of seconds between {MIN_TTL} and {MAX_TTL}.')
    return int(raw)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
