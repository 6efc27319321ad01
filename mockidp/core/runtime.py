"""Users, clients and resources added, replaced or removed at run time (the control plane), over the fixtures.

The overlay sits in the store like all mutable state: per id, either fixture-form values or a tombstone for
a removed fixture entry. Entries are checked exactly as fixture files are — the same fields, the same checks,
the same messages (`body: client.redirect_uris[0]: …`) — and a reset drops the overlay.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mockidp.core.errors import ControlError
from mockidp.core.fixtures import (
    CLIENT_FIELDS,
    RESOURCE_FIELDS,
    USER_FIELDS,
    Problem,
    build_client,
    build_resource,
    build_user,
    client_problems,
    read_api_keys,
    read_table,
    with_api_keys,
)
from mockidp.core.model import Client, Resource, User
from mockidp.core.scopes import IDM_PREFIX, OIDC_SCOPES, ScopeCatalog

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

CLIENTS, USERS, RESOURCES = "runtime_clients", "runtime_users", "runtime_resources"
REVISION_NS, RESOURCES_REVISION = "runtime", "resources"
GROUPS_REVISION = "groups"  # bumped by every admin-API group change (mockidp.core.admin.groups)
USERS_REVISION = "users"  # bumped by every change of a run-time user (here and in mockidp.core.admin.users)
# Revisions of what the admin API changes and the token endpoints read through a cache (`IdentityDomain.derived`).
GRANTS_REVISION, TRUSTS_REVISION, CUSTOM_CLAIMS_REVISION = "grants", "trusts", "custom_claims"
_SOURCE = "body"  # stands where fixture problems name the file


# ---------------------------------------------------------------------------------------------- reading


def record_values(record: dict[str, Any]) -> dict[str, Any] | None:
    """The fixture-form values of an overlay record; None for a removed entry."""
    return None if record.get("removed") else record["values"]


def resources(domain: IdentityDomain) -> list[Resource]:
    """The domain's resources now: the fixtures', with run-time changes applied (keyed by audience)."""
    merged = {resource.audience: resource for resource in domain.fixtures.resources}
    for audience, record in domain.store.items(RESOURCES):
        values = record_values(record)
        if values is None:
            merged.pop(audience, None)
        else:
            merged[audience] = build_resource(values)
    return list(merged.values())


def clients(domain: IdentityDomain) -> dict[str, Client]:
    return _merged(domain, CLIENTS, domain.fixtures.clients, build_client)


def users(domain: IdentityDomain) -> dict[str, User]:
    directory = domain.fixtures.directory
    return _merged(domain, USERS, domain.fixtures.users, lambda values: with_api_keys(build_user(values), directory))


def _merged(domain: IdentityDomain, namespace: str, fixed: dict[str, Any], build: Any) -> dict[str, Any]:
    merged = dict(fixed)
    for key, record in domain.store.items(namespace):
        values = record_values(record)
        if values is None:
            merged.pop(key, None)
        else:
            merged[key] = build(values)
    return merged


def describe_client(client: Client, source: str) -> dict[str, Any]:
    """A client as the control plane lists it: everything but its secret."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "confidential": not client.is_public,
        "grant_types": list(client.grant_types),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "allowed_scopes": list(client.allowed_scopes),
        "app_roles": list(client.app_roles),
        "claims": client.claims,
        "active": client.active,
        "source": source,
    }


def describe_user(user: User, source: str) -> dict[str, Any]:
    """A user as the control plane lists it: everything but the password."""
    return {
        "user_name": user.user_name,
        "id": user.guid,
        "ocid": user.ocid,
        "active": user.active,
        "name": user.name,
        "email": user.email,
        "groups": list(user.groups),
        "app_roles": list(user.app_roles),
        "claims": user.claims,
        "has_password": user.password is not None,
        "source": source,
    }


def describe_resource(resource: Resource, source: str) -> dict[str, Any]:
    return {
        "name": resource.name,
        "audience": resource.audience,
        "resource": resource.resource,
        "secondary_audiences": list(resource.secondary_audiences),
        "scopes": list(resource.scopes),
        "source": source,
    }


def source_of(domain: IdentityDomain, namespace: str, key: str) -> str:
    return "runtime" if domain.store.get(namespace, key) is not None else "fixtures"


# ---------------------------------------------------------------------------------------------- changing


def put_client(domain: IdentityDomain, client_id: str, raw: Any) -> tuple[Client, bool]:
    """Add or replace a client; returns it and whether it is new. Refused with every problem found."""
    values, problems = _read(raw, CLIENT_FIELDS, "client", "client_id", client_id)
    client = build_client(values) if values is not None else None
    if client is not None:
        directory = domain.fixtures.directory
        problems += [
            str(Problem(_SOURCE, f"client.{key}", msg))
            for key, msg in client_problems(client, domain.scopes, directory)
        ]
    if problems or client is None:
        raise ControlError(400, f"The client {client_id!r} was refused: {problems[0]}", problems)
    created = domain.client(client_id, documents=False) is None
    _put(domain, CLIENTS, client_id, values)
    return client, created


def put_user(domain: IdentityDomain, user_name: str, raw: Any) -> tuple[User, bool]:
    values, problems = _read(raw, USER_FIELDS, "user", "user_name", user_name)
    if values is not None:
        key_problems = read_api_keys(build_user(values), domain.fixtures.directory)[1]
        problems += [str(Problem(_SOURCE, f"user.{key}", message)) for key, message in key_problems]
    if problems or values is None:
        raise ControlError(400, f"The user {user_name!r} was refused: {problems[0]}", problems)
    created = domain.user(user_name) is None
    _put(domain, USERS, user_name, values)
    return build_user(values), created


def put_resource(domain: IdentityDomain, audience: str, raw: Any) -> tuple[Resource, bool]:
    values, problems = _read(raw, RESOURCE_FIELDS, "resource", "audience", audience)
    if problems or values is None:
        raise ControlError(400, f"The resource {audience!r} was refused: {problems[0]}", problems)
    resource = build_resource(values)
    others = [r for r in resources(domain) if r.audience != audience]
    taken = {other.audience + value: other.name for other in others for value in other.scopes}
    for value in resource.scopes:
        owner = taken.get(audience + value)
        if owner is not None:
            problems.append(
                str(
                    Problem(
                        _SOURCE, "resource.scopes", f"scope {audience + value!r} is also a scope of resource {owner!r}"
                    )
                )
            )
    if problems:
        raise ControlError(400, f"The resource {audience!r} was refused: {problems[0]}", problems)
    _refuse_breaking_clients(domain, [*others, resource], f"Replacing resource {audience!r}")
    created = len(others) == len(resources(domain))
    _put(domain, RESOURCES, audience, values)
    return resource, created


def remove_client(domain: IdentityDomain, client_id: str) -> None:
    if domain.client(client_id, documents=False) is None:
        raise ControlError(404, f"There is no client {client_id!r} in this identity domain.")
    _remove(domain, CLIENTS, client_id, client_id in domain.fixtures.clients)


def remove_user(domain: IdentityDomain, user_name: str) -> None:
    if domain.user(user_name) is None:
        raise ControlError(404, f"There is no user {user_name!r} in this identity domain.")
    _remove(domain, USERS, user_name, user_name in domain.fixtures.users)


def remove_resource(domain: IdentityDomain, audience: str) -> None:
    current = resources(domain)
    if not any(resource.audience == audience for resource in current):
        known = ", ".join(repr(r.audience) for r in current) or "none"
        raise ControlError(404, f"There is no resource with audience {audience!r}; the audiences are {known}.")
    remaining = [resource for resource in current if resource.audience != audience]
    _refuse_breaking_clients(domain, remaining, f"Removing resource {audience!r}")
    _remove(domain, RESOURCES, audience, any(r.audience == audience for r in domain.fixtures.resources))


def _read(
    raw: Any, fields: dict[str, Any], label: str, id_key: str, ident: str
) -> tuple[dict[str, Any] | None, list[str]]:
    problems: list[Problem] = []
    if isinstance(raw, dict):
        if id_key in raw and raw[id_key] != ident:
            problems.append(Problem(_SOURCE, f"{label}.{id_key}", f"is {raw[id_key]!r} but the URL names {ident!r}"))
        raw = {**raw, id_key: ident}
    values = read_table(raw, fields, _SOURCE, label, problems)
    return (values if not problems else None), [str(problem) for problem in problems]


def _refuse_breaking_clients(domain: IdentityDomain, new_resources: list[Resource], what: str) -> None:
    """Refuse a resource change that would leave a client allowed a scope no resource defines."""
    catalog = ScopeCatalog(new_resources, domain.tenant)
    broken = [
        f"client {client.client_id} allows {scope!r}"
        for client in clients(domain).values()
        for scope in client.allowed_scopes
        if not (scope in OIDC_SCOPES or scope.startswith(IDM_PREFIX) or catalog.lookup(scope))
    ]
    if broken:
        raise ControlError(
            409, f"{what} would leave clients allowed undefined scopes; change those clients first.", broken
        )


def _put(domain: IdentityDomain, namespace: str, key: str, values: dict[str, Any]) -> None:
    domain.store.put(namespace, key, {"rev": uuid.uuid4().hex, "values": values})
    if namespace == RESOURCES:
        _bump_resources(domain)
    elif namespace == USERS:
        bump_users(domain)


def _remove(domain: IdentityDomain, namespace: str, key: str, in_fixtures: bool) -> None:
    if in_fixtures:
        domain.store.put(namespace, key, {"rev": uuid.uuid4().hex, "removed": True})
    else:
        domain.store.delete(namespace, key)
    if namespace == RESOURCES:
        _bump_resources(domain)
    elif namespace == USERS:
        bump_users(domain)


def bump_users(domain: IdentityDomain) -> None:
    """Say that run-time users changed (what caches of user lists key on)."""
    domain.store.put(REVISION_NS, USERS_REVISION, {"rev": uuid.uuid4().hex})


def users_revision(domain: IdentityDomain) -> str:
    record = domain.store.get(REVISION_NS, USERS_REVISION)
    return record["rev"] if record else "fixtures"


def _bump_resources(domain: IdentityDomain) -> None:
    bump(domain, RESOURCES_REVISION)


def bump(domain: IdentityDomain, revision: str) -> None:
    """Mark a kind of run-time record as changed, so that what was derived from it is derived again."""
    domain.store.put(REVISION_NS, revision, {"rev": uuid.uuid4().hex})
