"""`/admin/v1/Apps`: the domain's OAuth clients and resource apps, as the OCI SDK's `App` model shows them.

What an App is made of lives where the token endpoints already read it: its OAuth client part is a client of
the run-time overlay (`runtime.put_client`, the control plane's run-time clients, keyed by client_id = the App's
`name`), its resource part a resource of the overlay (keyed by `audience`). So fixture `[[clients]]` and
`[[resources]]` are Apps, an App created here gets tokens at once with the secret the create answer returned, a
change of `redirectUris`/`allowedGrants`/`allowedScopes`/`active` holds for the next request, and the control
plane lists them. What only the admin API knows (description, template, meta) is a record in `NS`, keyed by the
App id.

Ids: a client App's id is the client's `client_guid` (the claim tokens carry); a resource App's id is derived
from its audience ([choice]), or random when created here. `IDCSAppId` is the identity domain's own app, owner of
its administrator roles (`app_roles.py`): readable, not changeable.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockidp.core import ids, runtime
from mockidp.core.admin import app_roles, errors
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import (
    BOOLEAN,
    COMPLEX,
    IMMUTABLE,
    READ_ONLY,
    REFERENCE,
    Attribute,
    Operations,
    ResourceType,
    Schema,
)
from mockidp.core.errors import ControlError
from mockidp.core.model import (
    AUTHORIZATION_CODE,
    DEVICE_CODE,
    IMPLICIT,
    KNOWN_GRANTS,
    PASSWORD,
    Client,
    Resource,
    User,
)

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain

SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:App"
NS = "admin_apps"  # App id -> {"client_id", "audience", "description", "template", "created", "modified", "version"}
# [seen] the templates the console's "Confidential Application" and "Mobile Application" are based on.
CONFIDENTIAL_TEMPLATE = "CustomWebAppTemplateId"
PUBLIC_TEMPLATE = "CustomBrowserMobileTemplateId"
CLIENT_TYPES = ("confidential", "public")
USER_SIGN_IN_GRANTS = frozenset({AUTHORIZATION_CODE, IMPLICIT, DEVICE_CODE, PASSWORD})
MAX_APPS = 1000  # [choice] Apps created through the admin API (bounded state)
READ = frozenset({"urn:opc:idm:t.app"})  # Application Administrator (and Identity Domain Administrator)
WRITE = READ
# What fixture problems call a key, as the App attribute a client sent.
ATTRIBUTE_NAMES = {
    "client.grant_types": "allowedGrants",
    "client.redirect_uris": "redirectUris",
    "client.post_logout_redirect_uris": "postLogoutRedirectUris",
    "client.allowed_scopes": "allowedScopes",
    "client.name": "displayName",
    "client.client_id": "name",
    "resource.audience": "audience",
    "resource.secondary_audiences": "secondaryAudiences",
    "resource.scopes": "scopes",
    "resource.name": "displayName",
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")


@dataclass(frozen=True)
class App:
    """One App: its client part, its resource part (either may be absent), and what only the admin API keeps."""

    id: str
    client: Client | None = None
    resource: Resource | None = None
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.client.client_id if self.client is not None else self.record.get("name", self.id)

    @property
    def display_name(self) -> str:
        if self.client is not None:
            return self.client.display_name
        if self.resource is not None:
            return self.resource.name
        return self.record.get("display_name", self.id)

    @property
    def active(self) -> bool:
        return self.client.active if self.client is not None else self.record.get("active", True)


def resource_app_id(audience: str) -> str:
    return ids.stable_guid("resource", audience)


# ---------------------------------------------------------------------------------------------- the schema


def _sub(*names: str, mutability: str = "readWrite") -> tuple[Attribute, ...]:
    return tuple(Attribute(name, mutability=mutability) for name in names)


# Attributes mockidp keeps and shows but that change nothing it does (what a portal would display).
KEPT: dict[str, str] = {
    "isLoginTarget": BOOLEAN,
    "showInMyApps": BOOLEAN,
    "isMobileTarget": BOOLEAN,
    "bypassConsent": BOOLEAN,
    "allUrlSchemesAllowed": BOOLEAN,
    "homePageUrl": "string",
    "landingPageUrl": "string",
    "privacyPolicyUrl": "string",
    "termsOfServiceUrl": "string",
    "contactEmailAddress": "string",
    "productName": "string",
    "appIcon": "string",
    "appThumbnail": "string",
    "trustScope": "string",
}
SCHEMA_DEFINITION = Schema(
    SCHEMA,
    "App",
    "Schema for App resource.",
    (
        Attribute("name", mutability=IMMUTABLE, uniqueness="server", description="The client_id of an OAuth client"),
        Attribute("displayName", required=True),
        Attribute("description"),
        Attribute("active", BOOLEAN),
        Attribute("clientSecret", mutability=READ_ONLY, description="Shown once, in the create answer"),
        Attribute(
            "basedOnTemplate",
            COMPLEX,
            required=True,
            mutability=IMMUTABLE,
            sub_attributes=(
                Attribute("value", required=True, case_exact=True),
                Attribute("wellKnownId", mutability=READ_ONLY),
                Attribute("lastModified", mutability=READ_ONLY),
            ),
        ),
        Attribute("isOAuthClient", BOOLEAN),
        Attribute("isOAuthResource", BOOLEAN),
        Attribute("isOPCService", BOOLEAN, mutability=READ_ONLY),
        Attribute("clientType", canonical_values=("confidential", "public", "trusted")),
        Attribute("allowedGrants", multi_valued=True, canonical_values=KNOWN_GRANTS),
        Attribute("redirectUris", multi_valued=True),
        Attribute("postLogoutRedirectUris", multi_valued=True),
        Attribute("allowOffline", BOOLEAN, mutability=READ_ONLY),
        Attribute("loginMechanism", mutability=READ_ONLY),
        Attribute(
            "allowedScopes",
            COMPLEX,
            multi_valued=True,
            sub_attributes=(
                Attribute("fqs", required=True, case_exact=True),
                Attribute("idOfDefiningApp", mutability=READ_ONLY),
                Attribute("readOnly", BOOLEAN, mutability=READ_ONLY),
            ),
        ),
        Attribute(
            "grantedAppRoles",
            COMPLEX,
            multi_valued=True,
            mutability=READ_ONLY,
            sub_attributes=(
                *_sub("value", "display", "appId", "appName", "type", mutability=READ_ONLY),
                Attribute("adminRole", BOOLEAN, mutability=READ_ONLY),
                Attribute("readOnly", BOOLEAN, mutability=READ_ONLY),
                Attribute("$ref", REFERENCE, mutability=READ_ONLY),
            ),
        ),
        Attribute("audience", case_exact=True),
        Attribute("secondaryAudiences", multi_valued=True),
        Attribute(
            "scopes",
            COMPLEX,
            multi_valued=True,
            sub_attributes=(
                Attribute("value", required=True, case_exact=True),
                Attribute("fqs", mutability=READ_ONLY),
                Attribute("description"),
                Attribute("displayName"),
                Attribute("requiresConsent", BOOLEAN),
                Attribute("readOnly", BOOLEAN),
            ),
        ),
        *(Attribute(name, kind) for name, kind in KEPT.items()),
    ),
)
# Attributes the service sets; a client's value for them is ignored on PUT (SCIM mutability readOnly).
IGNORED_INPUT = frozenset(
    {
        "id",
        "ocid",
        "meta",
        "schemas",
        "clientSecret",
        "grantedAppRoles",
        "isOPCService",
        "allowOffline",
        "loginMechanism",
        "idcsCreatedBy",
        "idcsLastModifiedBy",
        "idcsPreventedOperations",
        "deleteInProgress",
        "domainOcid",
        "compartmentOcid",
        "tenancyOcid",
    }
)
MODELED = frozenset(
    {
        "name",
        "displayName",
        "description",
        "active",
        "basedOnTemplate",
        "isOAuthClient",
        "isOAuthResource",
        "clientType",
        "allowedGrants",
        "redirectUris",
        "postLogoutRedirectUris",
        "allowedScopes",
        "audience",
        "secondaryAudiences",
        "scopes",
    }
)


# ---------------------------------------------------------------------------------------------- reading


def apps(domain: IdentityDomain) -> dict[str, App]:
    """Every App by id: the ones the admin API keeps a record of, then the other clients and resources."""
    clients = runtime.clients(domain)
    resources = {resource.audience: resource for resource in runtime.resources(domain)}
    records = dict(domain.store.items(NS))
    found: dict[str, App] = {}
    for ident, record in records.items():
        client = clients.get(record["client_id"]) if record.get("client_id") else None
        resource = resources.get(record["audience"]) if record.get("audience") else None
        if client is None and resource is None:
            continue  # its client and resource were removed another way (the control plane)
        found[ident] = App(ident, client, resource, record)
    linked_clients = {record.get("client_id") for record in records.values()}
    linked_resources = {record.get("audience") for record in records.values()}
    for client in clients.values():
        if client.client_id not in linked_clients:
            found.setdefault(client.guid, App(client.guid, client))
    for resource in resources.values():
        if resource.audience not in linked_resources:
            ident = resource_app_id(resource.audience)
            found.setdefault(ident, App(ident, resource=resource))
    return found


def own_app() -> App:
    return App(
        app_roles.IDCS_APP_ID, record={"display_name": app_roles.IDCS_APP_DISPLAY, "name": app_roles.IDCS_APP_NAME}
    )


def find(domain: IdentityDomain, ident: str) -> App | None:
    if ident == app_roles.IDCS_APP_ID:
        return own_app()
    return apps(domain).get(ident)


def display_name(domain: IdentityDomain, ident: str) -> str:
    app = find(domain, ident)
    return app.display_name if app is not None else ident


def apps_for_user(domain: IdentityDomain, user: User) -> list[dict[str, Any]]:
    """What MyApps lists for a user, as App resources. [choice] The active Apps granted to the user or to one of
    the user's groups (a Grant without an entitlement), and the active client Apps that sign users in
    (authorization_code, implicit, device code, password) and that no such Grant names: an App nobody was
    granted is open to every user, one granted to some is theirs only."""
    from mockidp.core.admin import grants

    every = apps(domain)
    assigned = grants.app_grantees(domain)
    mine = set(grants.apps_granted(domain, user))
    found = []
    for ident, app in every.items():
        if not app.active:
            continue
        signs_in = app.client is not None and bool(USER_SIGN_IN_GRANTS & set(app.client.grant_types))
        if ident in mine or (signs_in and ident not in assigned):
            found.append(to_scim(domain, app))
    return found


def to_scim(domain: IdentityDomain, app: App) -> dict[str, Any]:
    client, resource, record = app.client, app.resource, app.record
    template = record.get("template") or (
        PUBLIC_TEMPLATE if client is not None and client.is_public else CONFIDENTIAL_TEMPLATE
    )
    body: dict[str, Any] = {
        "schemas": [SCHEMA],
        "id": app.id,
        "meta": _meta(domain, app),
        "name": app.name,
        "displayName": app.display_name,
        "active": app.active,
        "basedOnTemplate": {"value": template, "wellKnownId": template},
        "isOAuthClient": client is not None,
        "isOAuthResource": resource is not None or app.id == app_roles.IDCS_APP_ID,
    }
    if record.get("description"):
        body["description"] = record["description"]
    if app.id == app_roles.IDCS_APP_ID:
        body.update({"audience": domain.scopes.idm_audiences[0], "isOPCService": True})
    if client is not None:
        granted = domain.with_grants(client)
        catalog = domain.scopes
        body.update(
            {
                "clientType": "public" if client.is_public else "confidential",
                "allowedGrants": list(client.grant_types),
                "redirectUris": list(client.redirect_uris),
                "postLogoutRedirectUris": list(client.post_logout_redirect_uris),
                "allowedScopes": [_allowed_scope(catalog, scope) for scope in client.allowed_scopes],
                "allowOffline": "refresh_token" in client.grant_types,
                "loginMechanism": "OIDC",
                "grantedAppRoles": [_granted_role(domain, name) for name in granted.app_roles],
            }
        )
    if resource is not None:
        body.update(
            {
                "audience": resource.audience,
                "secondaryAudiences": list(resource.secondary_audiences),
                "scopes": [
                    {"value": value, "fqs": resource.audience + value, "requiresConsent": False, "readOnly": False}
                    for value in resource.scopes
                ],
            }
        )
    body.update(record.get("kept", {}))
    body.update(changed_by(record))
    return body


def _allowed_scope(catalog: Any, scope: str) -> dict[str, Any]:
    found = catalog.lookup(scope)
    item: dict[str, Any] = {"fqs": scope, "readOnly": False}
    if found is not None:
        item["idOfDefiningApp"] = resource_app_id(found[0].audience)
    return item


def _granted_role(domain: IdentityDomain, name: str) -> dict[str, Any]:
    role = app_roles.by_name(domain, name)
    return {
        "value": app_roles.role_id(domain, name),
        "display": name,
        "appId": app_roles.IDCS_APP_ID,
        "appName": app_roles.IDCS_APP_NAME,
        "adminRole": bool(role and role.admin_role),
        "type": "direct",
        "readOnly": False,
    }


def _meta(domain: IdentityDomain, app: App) -> dict[str, Any]:
    """meta, with a version that changes with the App and with the roles Grants give it (`grantedAppRoles`)."""
    record = app.record
    roles = list(domain.with_grants(app.client).app_roles) if app.client is not None else []
    if "created" in record:
        version = version_of([record["version"], roles]) if roles else record["version"]
        return meta("App", "Apps", app.id, record["created"], record["modified"], version)
    fixed = fixture_created(domain)
    return meta("App", "Apps", app.id, fixed, fixed, version_of([app.id, repr(app.client), repr(app.resource), roles]))


def fixture_created(domain: IdentityDomain) -> float:
    """[choice] Fixture entries were created when their newest fixture file was last changed (as Users say)."""
    from mockidp.core.admin import users

    return users._fixture_created(domain)


# ---------------------------------------------------------------------------------------------- the operations


def list_apps(domain: IdentityDomain) -> list[dict[str, Any]]:
    return [to_scim(domain, app) for app in (own_app(), *apps(domain).values())]


def get_app(domain: IdentityDomain, ident: str) -> dict[str, Any] | None:
    app = find(domain, ident)
    return None if app is None else to_scim(domain, app)


def create_app(domain: IdentityDomain, body: dict[str, Any], caller: Caller | None = None) -> dict[str, Any]:
    """Create an App; the answer carries `clientSecret`, the only time it is shown."""
    wanted = _read(body, None)
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
        raise errors.invalid_value(
            f"name {name!r} must be letters, digits, '.', '_' or '-' (it becomes the client_id)."
        )
    client_id = name or uuid.uuid4().hex
    if wanted.client is not None and domain.client(client_id) is not None:
        raise errors.uniqueness(f"An App named {client_id!r} exists already; choose another name or leave it out.")
    if domain.store.count(NS) >= MAX_APPS:
        raise errors.invalid_value(
            f"This identity domain holds {MAX_APPS} Apps made here, mockidp's limit; delete some."
        )
    secret = f"idcscs-{uuid.uuid4()}" if wanted.client is not None and wanted.client_type == "confidential" else None
    ident = ids.stable_guid("client", client_id) if wanted.client is not None else uuid.uuid4().hex
    # The record first, atomically: of two creates with the same name, one wins and the other is a 409.
    if not domain.store.add(NS, ident, _record(domain, ident, wanted, client_id, None, caller)):
        raise errors.uniqueness(f"An App named {client_id!r} exists already; choose another name or leave it out.")
    try:
        _apply(domain, None, wanted, client_id, {} if secret is None else {"client_secret": secret})
    except errors.ScimError:
        domain.store.delete(NS, ident)
        raise
    answer = to_scim(domain, _existing(domain, ident))
    if secret is not None:
        answer["clientSecret"] = secret
    return answer


def replace_app(
    domain: IdentityDomain, ident: str, body: dict[str, Any], caller: Caller | None = None
) -> dict[str, Any]:
    """PUT (and so PATCH, which the engine turns into get → PatchOp → replace)."""
    current = _existing(domain, ident)
    _refuse_own_app(ident)
    if body.get("name") not in (None, current.name):
        raise errors.mutability(
            f"name is immutable: it is the App's client_id ({current.name!r}); create a new App for another one."
        )
    wanted = _read(body, current)
    if current.client is None and wanted.client is not None:
        raise errors.invalid_value(
            "isOAuthClient cannot be turned on for an existing App; create a new App that is a client."
        )
    if current.client is not None and wanted.client is not None and wanted.client_type != _client_type(current.client):
        raise errors.invalid_value(
            f"clientType cannot change from {_client_type(current.client)!r} to {wanted.client_type!r}; "
            "create a new App instead."
        )
    _apply(domain, current, wanted, current.name, _kept_client_values(current.client))
    domain.store.put(NS, ident, _record(domain, ident, wanted, current.name, current.record, caller))
    return to_scim(domain, _existing(domain, ident))


def delete_app(domain: IdentityDomain, ident: str, caller: Caller | None = None) -> None:
    from mockidp.core.admin import grants

    current = _existing(domain, ident)
    _refuse_own_app(ident)
    try:
        if current.resource is not None:
            runtime.remove_resource(domain, current.resource.audience)
        if current.client is not None:
            runtime.remove_client(domain, current.client.client_id)
    except ControlError as exc:
        raise _from_control(exc) from None
    domain.store.delete(NS, ident)
    grants.delete_for_grantee(domain, ident)


def by_name(domain: IdentityDomain, name: str) -> list[dict[str, Any]]:
    """`filter=name eq "<client_id>"` without building every App."""
    client = runtime.clients(domain).get(name)
    if client is None:
        return [app for app in list_apps(domain) if app["name"] == name]
    app = next((a for a in apps(domain).values() if a.client is not None and a.client.client_id == name), None)
    return [] if app is None else [to_scim(domain, app)]


def by_id(domain: IdentityDomain, ident: str) -> list[dict[str, Any]]:
    found = get_app(domain, ident)
    return [found] if found else []


# ---------------------------------------------------------------------------------------------- reading a request


@dataclass(frozen=True)
class _Wanted:
    """What a create or replace body asks for, in fixture form."""

    display_name: str
    description: str
    template: str
    active: bool
    client_type: str
    client: dict[str, Any] | None
    resource: dict[str, Any] | None
    kept: dict[str, Any]


def _read(body: Any, current: App | None) -> _Wanted:
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The body must be a JSON object: an App resource.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or SCHEMA not in schemas:
        raise errors.invalid_syntax(f'An App needs "schemas": ["{SCHEMA}"].')
    kept: dict[str, Any] = {}
    for key, value in body.items():
        if key in IGNORED_INPUT or key in MODELED:
            continue
        if key in KEPT:
            expected = bool if KEPT[key] == BOOLEAN else str
            if not isinstance(value, expected):
                raise errors.invalid_value(f"{key} must be {'true or false' if expected is bool else 'a string'}.")
            kept[key] = value
            continue
        raise errors.invalid_syntax(
            f"{key!r} is not an App attribute mockidp supports; it keeps OAuth clients and resources "
            f"({', '.join(sorted(MODELED))}) and shows {', '.join(KEPT)}."
        )
    display = body.get("displayName")
    if display is None or display == "":
        raise errors.missing_required(["displayName"])
    if not isinstance(display, str) or not display.strip():
        raise errors.invalid_value("displayName must be a non-empty string: the App's name as people see it.")
    template = _template(body.get("basedOnTemplate"), current)
    description = _string(body, "description", "")
    active = body.get("active", True if current is None else current.active)
    if not isinstance(active, bool):
        raise errors.invalid_value(f"active must be true or false, got {active!r}.")
    is_client = _flag(body, "isOAuthClient")
    is_resource = _flag(body, "isOAuthResource")
    client_type = body.get("clientType", "confidential" if current is None else _client_type(current.client))
    if client_type not in CLIENT_TYPES:
        raise errors.invalid_value(
            f"clientType {client_type!r} is not supported; use {' or '.join(CLIENT_TYPES)} "
            "(trusted clients authenticate with a certificate, which mockidp does not offer)."
        )
    client = None
    if is_client:
        grants = _strings(body, "allowedGrants", None)
        for grant in grants or ():
            if grant not in KNOWN_GRANTS:
                raise errors.invalid_value(
                    f"allowedGrants: unknown grant type {grant!r}; known: {', '.join(KNOWN_GRANTS)}."
                )
        client = {
            "name": display,
            "grant_types": grants,
            "redirect_uris": _strings(body, "redirectUris", []),
            "post_logout_redirect_uris": _strings(body, "postLogoutRedirectUris", []),
            "allowed_scopes": _allowed_scopes(body.get("allowedScopes")),
            "active": active,
        }
    elif current is None and any(key in body for key in ("allowedGrants", "redirectUris", "clientType")):
        raise errors.invalid_value(
            "allowedGrants, redirectUris and clientType are for OAuth clients: set isOAuthClient to true."
        )
    resource = None
    if is_resource:
        audience = body.get("audience")
        if not isinstance(audience, str) or not audience.strip():
            raise errors.invalid_value('An OAuth resource needs an audience, e.g. "https://orders.example.com/".')
        resource = {
            "name": display,
            "audience": audience,
            "secondary_audiences": _strings(body, "secondaryAudiences", []),
            "scopes": _scope_values(body.get("scopes")),
        }
    if client is None and resource is None:
        raise errors.invalid_value(
            "mockidp keeps OAuth apps only: set isOAuthClient (a client that gets tokens) and/or isOAuthResource "
            "(an API with an audience and scopes) to true."
        )
    return _Wanted(display, description, template, active, client_type, client, resource, kept)


def _template(raw: Any, current: App | None) -> str:
    if raw is None and current is not None:
        return current.record.get("template") or (
            PUBLIC_TEMPLATE if current.client is not None and current.client.is_public else CONFIDENTIAL_TEMPLATE
        )
    if raw is None:
        raise errors.missing_required(["basedOnTemplate"])
    value = raw.get("value") if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise errors.invalid_value(
            f'basedOnTemplate must be {{"value": "<template id>"}}, e.g. "{CONFIDENTIAL_TEMPLATE}" for a '
            f'confidential app or "{PUBLIC_TEMPLATE}" for a public (mobile or single-page) app.'
        )
    if current is not None and value != (current.record.get("template") or value):
        raise errors.mutability("basedOnTemplate is immutable; create a new App from another template.")
    return value


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise errors.invalid_value(f"{key} must be true or false, got {value!r}.")
    return value


def _string(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise errors.invalid_value(f"{key} must be a string, got {value!r}.")
    return value


def _strings(body: dict[str, Any], key: str, default: list[str] | None) -> list[str] | None:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise errors.invalid_value(f"{key} must be a list of strings, got {value!r}.")
    return value


def _allowed_scopes(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(
        isinstance(item, dict) and isinstance(item.get("fqs"), str) for item in raw
    ):
        raise errors.invalid_value(
            'allowedScopes must be a list of {"fqs": "<fully qualified scope>"}, e.g. '
            '[{"fqs": "https://orders.example.com/read"}].'
        )
    return [item["fqs"] for item in raw]


def _scope_values(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise errors.invalid_value('An OAuth resource needs scopes: a list of {"value": "read"} objects.')
    if not all(isinstance(item, dict) and isinstance(item.get("value"), str) for item in raw):
        raise errors.invalid_value('scopes must be a list of {"value": "<scope>"} objects, e.g. [{"value": "read"}].')
    return [item["value"] for item in raw]


# ---------------------------------------------------------------------------------------------- writing


def _apply(domain: IdentityDomain, current: App | None, wanted: _Wanted, client_id: str, keep: dict[str, Any]) -> None:
    """Write the client and resource parts to the run-time overlay (checked there exactly as fixtures are)."""
    try:
        if wanted.resource is not None:
            audience = wanted.resource["audience"]
            if current is not None and current.resource is not None:
                if current.resource.audience != audience:
                    raise errors.mutability("audience cannot change: create a new resource App for another audience.")
            elif any(resource.audience == audience for resource in runtime.resources(domain)):
                raise errors.uniqueness(f"An App with audience {audience!r} exists already.")
            runtime.put_resource(domain, audience, wanted.resource)
        if wanted.client is not None:
            runtime.put_client(domain, client_id, {**wanted.client, **keep})
        elif current is not None and current.client is not None:
            runtime.remove_client(domain, current.client.client_id)
        if wanted.resource is None and current is not None and current.resource is not None:
            runtime.remove_resource(domain, current.resource.audience)
    except ControlError as exc:
        raise _from_control(exc) from None


def _kept_client_values(client: Client | None) -> dict[str, Any]:
    """What a client keeps through a PUT: what App attributes do not show (secret, keys, roles, CORS, claims)."""
    if client is None:
        return {}
    kept: dict[str, Any] = {
        "app_roles": list(client.app_roles),
        "cors_origins": list(client.cors_origins),
        "claims": dict(client.claims),
    }
    if client.client_secret is not None:
        kept["client_secret"] = client.client_secret
    if client.public_key is not None:
        kept["public_key"] = client.public_key
    if client.jwks is not None:
        kept["jwks"] = client.jwks
    return kept


def _record(
    domain: IdentityDomain,
    ident: str,
    wanted: _Wanted,
    client_id: str,
    before: dict[str, Any] | None,
    caller: Caller | None,
) -> dict[str, Any]:
    now = domain.clock.now()
    before = before or {}
    by = caller.reference() if caller is not None else None
    return {
        "by": before.get("by", by) if before else by,
        "modified_by": by,
        "client_id": client_id if wanted.client is not None else None,
        "audience": wanted.resource["audience"] if wanted.resource is not None else None,
        "name": client_id if wanted.client is not None else before.get("name", ident),
        "display_name": wanted.display_name,
        "description": wanted.description,
        "template": wanted.template,
        "active": wanted.active,
        "kept": wanted.kept,
        "created": before.get("created", now),
        "modified": now,
        "version": uuid.uuid4().hex,
    }


def changed_by(record: dict[str, Any]) -> dict[str, Any]:
    """`idcsCreatedBy` / `idcsLastModifiedBy` of a record the admin API wrote (who called, `Caller.reference`)."""
    found = {}
    if record.get("by"):
        found["idcsCreatedBy"] = record["by"]
    if record.get("modified_by") or record.get("by"):
        found["idcsLastModifiedBy"] = record.get("modified_by") or record["by"]
    return found


def _client_type(client: Client | None) -> str:
    return "public" if client is not None and client.is_public else "confidential"


def _existing(domain: IdentityDomain, ident: str) -> App:
    app = find(domain, ident)
    if app is None:
        raise errors.not_found("App", ident)
    return app


def _refuse_own_app(ident: str) -> None:
    if ident == app_roles.IDCS_APP_ID:
        raise errors.forbidden("IDCSAppId is the identity domain's own app; it cannot be changed or deleted.")


def _from_control(exc: ControlError) -> errors.ScimError:
    """A refusal of the run-time overlay, in SCIM terms (fixture key paths renamed to App attributes)."""
    detail = exc.problems[0] if exc.problems else exc.message
    detail = detail.removeprefix("body: ")
    for key, attribute in ATTRIBUTE_NAMES.items():
        detail = detail.replace(key, attribute)
    if exc.status == 409:  # [choice messageId] another entry still needs it (a client allowed its scopes)
        return errors.ScimError(409, " ".join([exc.message, *exc.problems]), "error.common.common.resourceInUse")
    return errors.invalid_value(detail + ("" if detail.endswith(".") else "."))


APP_TYPE = ResourceType(
    name="App",
    endpoint="Apps",
    schema=SCHEMA_DEFINITION,
    extensions=(),
    operations=Operations(
        list=list_apps,
        get=get_app,
        create=create_app,
        replace=replace_app,
        delete=delete_app,
        index={"name": by_name, "id": by_id},
    ),
    read_scopes=READ,
    write_scopes=WRITE,
    description="App",
)
