"""`/admin/v1/Users`: the domain's users as SCIM resources, over the same run-time overlay as the control plane.

A user is one record in `runtime.USERS`, keyed by user name, so `domain.user(user_name)` (sign-in, grants,
userinfo) sees an API change at once. The record holds the fixture-form values (what sign-in and tokens use)
and, beside them, the SCIM attributes that have no fixture key (`nickName`, `addresses`, …), when it was
created and changed, and by whom. An index (id -> user name) finds a user by id without a scan.

Mapping (SCIM -> fixture key): userName -> user_name, password -> password, name.formatted -> name,
name.givenName/familyName -> given_name/family_name, the primary (else work, else first) email -> email (and
its `verified` -> email_verified), displayName -> display_name, active, locale, timezone, the primary (else
first) phone number -> phone_number; every email and phone number is kept as sent. `groups` is read-only here
(change membership through Groups), as in the real service.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mockidp.core import ids, runtime
from mockidp.core.admin import errors, groups
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import (
    ALWAYS,
    BOOLEAN,
    COMPLEX,
    DATETIME,
    IMMUTABLE,
    NEVER,
    READ_ONLY,
    REFERENCE,
    REQUEST,
    WRITE_ONLY,
    Attribute,
    Operations,
    ResourceType,
    Schema,
)
from mockidp.core.fixtures import USER_FIELDS, Problem, build_user, read_table

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.admin.resource import Resource
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
USER_EXTENSION = "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User"
ENTERPRISE_EXTENSION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_CREATED = 50_000  # [choice] users in the store at most (created or changed over the API or control plane)
INDEX = "admin_user_ids"  # SCIM id -> {"user_name"} for users the API or control plane wrote
READ = frozenset({"urn:opc:idm:t.users", "urn:opc:idm:t.user.manager"})
WRITE = READ


def _multi(
    name: str, *subs: Attribute, description: str = "", mutability: str = "readWrite", required: bool = False
) -> Attribute:
    return Attribute(
        name,
        COMPLEX,
        multi_valued=True,
        mutability=mutability,
        sub_attributes=subs,
        description=description,
        required=required,
    )


_VALUE_TYPE_PRIMARY = (
    Attribute("value", required=True),
    Attribute("display"),
    Attribute("type", canonical_values=("work", "home", "mobile", "other", "recovery")),
    Attribute("primary", BOOLEAN),
)
CORE = Schema(
    USER_SCHEMA,
    "User",
    "User Account",
    (
        Attribute("externalId", case_exact=True),
        Attribute("userName", required=True, uniqueness="global", returned=ALWAYS, description="The user name"),
        Attribute("description"),
        Attribute("displayName"),
        Attribute("nickName"),
        Attribute("profileUrl", REFERENCE, reference_types=("external",)),
        Attribute("title"),
        Attribute("userType", canonical_values=("Contractor", "Employee", "Intern", "Temp", "External", "Service")),
        Attribute("locale"),
        Attribute("preferredLanguage"),
        Attribute("timezone"),
        Attribute("active", BOOLEAN),
        Attribute("password", mutability=WRITE_ONLY, returned=NEVER),
        Attribute(
            "name",
            COMPLEX,
            required=True,
            sub_attributes=(
                Attribute("formatted"),
                Attribute("familyName", required=True),
                Attribute("givenName"),
                Attribute("middleName"),
                Attribute("honorificPrefix"),
                Attribute("honorificSuffix"),
            ),
        ),
        _multi(
            "emails",
            *_VALUE_TYPE_PRIMARY,
            Attribute("secondary", BOOLEAN),
            Attribute("verified", BOOLEAN),
            Attribute("pendingVerificationData", mutability=READ_ONLY),
            required=True,
        ),
        _multi("phoneNumbers", *_VALUE_TYPE_PRIMARY, Attribute("verified", BOOLEAN, mutability=READ_ONLY)),
        _multi("ims", *_VALUE_TYPE_PRIMARY),
        _multi("photos", *_VALUE_TYPE_PRIMARY),
        _multi(
            "addresses",
            Attribute("formatted"),
            Attribute("streetAddress"),
            Attribute("locality"),
            Attribute("region"),
            Attribute("postalCode"),
            Attribute("country"),
            Attribute("type", canonical_values=("work", "home", "other")),
            Attribute("primary", BOOLEAN),
        ),
        _multi(
            "groups",
            Attribute("value", mutability=READ_ONLY, case_exact=True),
            Attribute("ocid", mutability=READ_ONLY),
            Attribute("$ref", REFERENCE, mutability=READ_ONLY),
            Attribute("display", mutability=READ_ONLY),
            Attribute("nonUniqueDisplay", mutability=READ_ONLY),
            Attribute("type", mutability=READ_ONLY, canonical_values=("direct", "indirect")),
            Attribute("membershipOcid", mutability=READ_ONLY),
            Attribute("dateAdded", DATETIME, mutability=READ_ONLY),
            Attribute("externalId", mutability=READ_ONLY),
            mutability=READ_ONLY,
            description="Groups the user belongs to (change membership through Groups)",
        ),
        _multi("entitlements", *_VALUE_TYPE_PRIMARY),
        _multi("roles", *_VALUE_TYPE_PRIMARY),
        _multi("x509Certificates", *_VALUE_TYPE_PRIMARY),
        Attribute("tags", COMPLEX, multi_valued=True, sub_attributes=(Attribute("key"), Attribute("value"))),
    ),
)
IDCS_EXTENSION = Schema(
    USER_EXTENSION,
    "User",
    "Oracle Identity Cloud Service User",
    (
        Attribute("isFederatedUser", BOOLEAN),
        Attribute("isAuthenticationDelegated", BOOLEAN),
        Attribute("status", mutability=READ_ONLY),
        Attribute("provider", mutability=READ_ONLY),
        Attribute("preferredUiLandingPage"),
        Attribute("creationMechanism", mutability=IMMUTABLE, returned=REQUEST),
        Attribute("doNotShowGettingStarted", BOOLEAN),
        Attribute("bypassNotification", BOOLEAN, mutability=IMMUTABLE, returned=NEVER),
        Attribute("accountRecoveryRequired", BOOLEAN),
        Attribute("serviceUser", BOOLEAN, mutability=IMMUTABLE),
        _multi(
            "appRoles",
            Attribute("value", mutability=READ_ONLY, case_exact=True),
            Attribute("display", mutability=READ_ONLY),
            Attribute("appId", mutability=READ_ONLY),
            Attribute("appName", mutability=READ_ONLY),
            Attribute("adminRole", BOOLEAN, mutability=READ_ONLY),
            Attribute("legacyGroupName", mutability=READ_ONLY),
            Attribute("type", mutability=READ_ONLY),
            Attribute("$ref", REFERENCE, mutability=READ_ONLY),
            mutability=READ_ONLY,
        ),
    ),
)
ENTERPRISE = Schema(
    ENTERPRISE_EXTENSION,
    "EnterpriseUser",
    "Enterprise User",
    (
        Attribute("employeeNumber"),
        Attribute("costCenter"),
        Attribute("organization"),
        Attribute("division"),
        Attribute("department"),
        Attribute(
            "manager",
            COMPLEX,
            sub_attributes=(
                Attribute("value", case_exact=True),
                Attribute("$ref", REFERENCE, mutability=READ_ONLY),
                Attribute("displayName", mutability=READ_ONLY),
            ),
        ),
    ),
)
MAPPED = frozenset(
    {"username", "password", "name", "emails", "displayname", "active", "locale", "timezone", "phonenumbers"}
)
READ_ONLY_INPUT = frozenset(
    {
        "id",
        "ocid",
        "meta",
        "groups",
        "idcscreatedby",
        "idcslastmodifiedby",
        "idcspreventedoperations",
        "deleteinprogress",
        "domainocid",
        "compartmentocid",
        "tenancyocid",
        "schemas",
    }
)


# ---------------------------------------------------------------------------------------------- reading


def _records(domain: IdentityDomain) -> dict[str, dict[str, Any]]:
    return dict(domain.store.items(runtime.USERS))


def _fixture_created(domain: IdentityDomain) -> float:
    """[choice] Fixture users were created when their newest fixture file was last changed."""
    cache = domain.cache
    instant = cache.get("fixtures-mtime")
    if instant is None:
        from mockidp.core.fixtures import fixture_files

        files = fixture_files(domain.fixtures.directory) if domain.fixtures.directory.is_dir() else []
        instant = cache["fixtures-mtime"] = max((f.stat().st_mtime for f in files), default=0.0)
    return instant


def to_scim(domain: IdentityDomain, user: User, record: dict[str, Any] | None) -> Resource:
    """The SCIM resource of a user (locations as paths); cached per record revision and group revision."""
    revision = _derived_from(domain)
    return _docs(domain, revision).get(record["rev"] if record else user.user_name) or _remember(
        domain, revision, user, record
    )


def _derived_from(domain: IdentityDomain) -> str:
    """What a user resource is built from besides its own record: group membership and Grants' app roles."""
    grants = domain.store.get(runtime.REVISION_NS, runtime.GRANTS_REVISION)
    return f"{groups.revision(domain)}/{grants['rev'] if grants else 'fixtures'}"


def _docs(domain: IdentityDomain, group_revision: str) -> dict[str, Resource]:
    """The user resources built under the current group revision (those of older ones are dropped)."""
    cached = domain.cache.get("user-docs")
    if cached is None or cached[0] != group_revision:
        cached = domain.cache["user-docs"] = (group_revision, {})
    return cached[1]


def _remember(domain: IdentityDomain, group_revision: str, user: User, record: dict[str, Any] | None) -> Resource:
    docs = _docs(domain, group_revision)
    if len(docs) > len(domain.fixtures.users) + 2 * MAX_CREATED + 1024:
        docs.clear()  # what is left of records rewritten since: the live ones come back as they are read
    doc = docs[record["rev"] if record else user.user_name] = _build(domain, user, record)
    return doc


def _build(domain: IdentityDomain, user: User, record: dict[str, Any] | None) -> Resource:
    extras: dict[str, Any] = (record or {}).get("scim") or {}
    fixed = _fixture_created(domain)
    created = (record or {}).get("created") or fixed
    modified = (record or {}).get("modified") or fixed
    version = record["rev"] if record else version_of([user.user_name, user.guid])
    doc: Resource = {
        "schemas": [USER_SCHEMA, USER_EXTENSION],
        "id": user.guid,
        "ocid": user.ocid,
        "meta": meta("User", "Users", user.guid, created, modified, version),
        "userName": user.user_name,
        "displayName": user.display_name or user.name or user.user_name,
        "active": user.active,
        "locale": user.locale,
        "timezone": user.timezone,
    }
    name = {"formatted": user.name or " ".join(p for p in (user.given_name, user.family_name) if p)}
    if user.given_name:
        name["givenName"] = user.given_name
    if user.family_name:
        name["familyName"] = user.family_name
    name.update(extras.get("name") or {})
    doc["name"] = {k: v for k, v in name.items() if v}
    if user.email:
        doc["emails"] = _emails(user, extras.get("emails"))
    if extras.get("phoneNumbers"):
        doc["phoneNumbers"] = [{**phone} for phone in extras["phoneNumbers"]]
    elif user.phone_number:
        doc["phoneNumbers"] = [{"value": user.phone_number, "type": "work", "primary": True}]
    member_of = groups.of_user(domain, user)
    if member_of:
        doc["groups"] = [
            {
                "value": group_id,
                "display": display,
                "type": "direct",
                "$ref": f"/admin/v1/Groups/{group_id}",
                "ocid": ids.stable_ocid("group", group_id),
            }
            for group_id, display in member_of
        ]
    by = (record or {}).get("by")
    if by:
        doc["idcsCreatedBy"] = by
        doc["idcsLastModifiedBy"] = (record or {}).get("modified_by") or by
    doc.update(common_ocids(domain))
    extension: dict[str, Any] = {
        "isFederatedUser": False,
        "status": "verified",
        "creationMechanism": "api" if record and record.get("created") else "import",
    }
    if user.app_roles:
        extension["appRoles"] = [
            {"value": ids.stable_guid("approle", domain.tenant, role), "display": role, "type": "direct"}
            for role in user.app_roles
        ]
    extension.update(extras.get(USER_EXTENSION) or {})
    doc[USER_EXTENSION] = extension
    for key, value in extras.items():
        if key not in ("name", "emails", "phoneNumbers", USER_EXTENSION):
            doc[key] = value
            if key.startswith("urn:") and key not in doc["schemas"]:
                doc["schemas"].append(key)
    return doc


def _emails(user: User, sent: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The emails as the API last set them (else the fixture `email` as the work address), with the `recovery`
    entry the identity domain adds for the primary address when there is none [choice: the real service's
    answers carry one]. The primary entry always holds the user's `email` and `email_verified`."""
    verified = user.email_verified
    if not sent:
        sent = [{"value": user.email, "type": "work", "primary": True}]
    emails = []
    for entry in sent:
        email = {"secondary": False, "verified": False, **entry, "primary": bool(entry.get("primary"))}
        if entry is _pick_email(sent):
            email.update(value=user.email, verified=verified, primary=True)
        emails.append(email)
    if not any(e.get("type") == "recovery" for e in emails):
        emails.append(
            {"value": user.email, "type": "recovery", "primary": False, "secondary": False, "verified": verified}
        )
    return emails


def common_ocids(domain: IdentityDomain) -> dict[str, str]:
    return {
        "domainOcid": ids.stable_ocid("domain", domain.tenant),
        "compartmentOcid": ids.stable_ocid("compartment", domain.tenant),
        "tenancyOcid": ids.stable_ocid("tenancy", domain.tenant),
    }


def list_users(domain: IdentityDomain) -> list[Resource]:
    """Every user resource; the list is kept while neither the overlay records nor the groups change."""
    key = (_derived_from(domain), runtime.users_revision(domain))
    cached = domain.cache.get("user-list")
    if cached is not None and cached[0] == key:
        return cached[1]
    records = _records(domain)
    found = [to_scim(domain, user, None) for name, user in domain.fixtures.users.items() if name not in records]
    for name, record in records.items():
        user = domain.user(name)
        if user is not None:
            found.append(to_scim(domain, user, record))
    domain.cache["user-list"] = (key, found)
    return found


def find(domain: IdentityDomain, user_id: str) -> tuple[User, dict[str, Any] | None] | None:
    """The user with this SCIM id and its overlay record (None for an unchanged fixture user)."""
    indexed = domain.store.get(INDEX, user_id)
    names = [indexed["user_name"]] if indexed else []
    fixture_name = _fixture_ids(domain).get(user_id)
    if fixture_name:
        names.append(fixture_name)
    for name in names:
        user = domain.user(name)
        if user is not None and user.guid == user_id:
            return user, domain.store.get(runtime.USERS, name)
    for name, record in domain.store.items(runtime.USERS):  # e.g. a control-plane user: not indexed
        values = runtime.record_values(record)
        if values is not None and (values.get("id") or ids.stable_guid("user", name)) == user_id:
            user = domain.user(name)
            return (user, record) if user is not None else None
    return None


def _fixture_ids(domain: IdentityDomain) -> dict[str, str]:
    found = domain.cache.get("fixture-user-ids")
    if found is None:
        found = domain.cache["fixture-user-ids"] = {u.guid: n for n, u in domain.fixtures.users.items()}
    return found


def get_user(domain: IdentityDomain, user_id: str) -> Resource | None:
    found = find(domain, user_id)
    return None if found is None else to_scim(domain, found[0], found[1])


def by_user_name(domain: IdentityDomain, user_name: str) -> list[Resource]:
    """The `userName eq "…"` fast path (user names are case-insensitive; exact first, then a scan)."""
    user = domain.user(user_name)
    if user is not None:
        return [to_scim(domain, user, domain.store.get(runtime.USERS, user_name))]
    wanted = user_name.lower()
    return [r for r in list_users(domain) if r["userName"].lower() == wanted]


def by_id(domain: IdentityDomain, user_id: str) -> list[Resource]:
    found = get_user(domain, user_id)
    return [found] if found else []


# ---------------------------------------------------------------------------------------------- writing


def values_from(body: Any, current: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fixture-form values and the extra SCIM attributes of a create/replace body (current: the user's
    values before a replace, whose password and non-SCIM keys are kept). Refused with the SCIM 400."""
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The body must be a JSON object: a User resource.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or USER_SCHEMA not in schemas:
        raise errors.invalid_syntax(f'A User needs "schemas": ["{USER_SCHEMA}"] (plus any extension it uses).')
    extras: dict[str, Any] = {}
    for key, value in body.items():
        lowered = key.lower()
        if lowered.startswith("urn:"):
            schema = USER_TYPE.extension(key)
            if schema is None:
                raise errors.invalid_syntax(f"{key} is not a schema extension of User.")
            if not isinstance(value, dict):
                raise errors.invalid_syntax(f"{key} must be an object of that extension's attributes.")
            kept = _writable(schema, value, key)
            if kept:
                extras[schema.id] = kept
            continue
        attribute = USER_TYPE.attribute(key)
        if attribute is None:
            raise errors.invalid_syntax(f"{key!r} is not an attribute of User.")
        if lowered in READ_ONLY_INPUT or lowered in MAPPED:
            continue
        _check_type(attribute, value, key)
        extras[attribute.name] = value

    user_name = body.get("userName")
    name = body.get("name")
    emails = body.get("emails")
    missing = []
    if user_name in (None, ""):
        missing.append("userName")
    if not isinstance(name, dict) or not name.get("familyName"):
        missing.append("name.familyName")
    if not emails:
        missing.append("emails")
    if missing:
        raise errors.missing_required(missing)
    if not isinstance(user_name, str):
        raise errors.invalid_value("userName must be a string.")
    _check_type(USER_TYPE.attribute("name"), name, "name")  # type: ignore[arg-type]
    _check_type(USER_TYPE.attribute("emails"), emails, "emails")  # type: ignore[arg-type]
    for key in ("displayName", "locale", "timezone", "password"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise errors.invalid_value(f"{key} must be a string.")
    if "active" in body and not isinstance(body["active"], bool):
        raise errors.invalid_value("active must be true or false.")
    phones = body.get("phoneNumbers") or []
    _check_type(USER_TYPE.attribute("phoneNumbers"), phones, "phoneNumbers")  # type: ignore[arg-type]

    email = _pick_email(emails)
    extras["emails"] = [{k: v for k, v in e.items() if k != "pendingVerificationData"} for e in emails]
    if phones:
        extras["phoneNumbers"] = [{k: v for k, v in p.items() if k != "verified"} for p in phones]
    name_extras = {k: v for k, v in name.items() if k in ("middleName", "honorificPrefix", "honorificSuffix")}
    if name_extras:
        extras["name"] = name_extras
    previous = current or {}
    given, family = name.get("givenName") or "", name.get("familyName") or ""
    values = {
        **{key: value for key, value in previous.items() if key in ("groups", "app_roles", "claims", "gender")},
        **{key: value for key, value in previous.items() if key in ("birthdate", "website", "id", "ocid")},
        "user_name": user_name,
        "password": body["password"] if body.get("password") is not None else previous.get("password"),
        "name": name.get("formatted") or " ".join(p for p in (given, family) if p),
        "given_name": given,
        "family_name": family,
        "email": email["value"],
        "email_verified": bool(email.get("verified", False)),
        "display_name": body.get("displayName") or "",
        "active": body.get("active", True),
        "locale": body.get("locale") or previous.get("locale", "en"),
        "timezone": body.get("timezone") or previous.get("timezone", "America/Chicago"),
        "phone_number": _pick_email(phones)["value"] if phones else "",
    }
    return values, extras


def _pick_email(emails: list[dict[str, Any]]) -> dict[str, Any]:
    return (
        next((e for e in emails if e.get("primary") is True), None)
        or next((e for e in emails if e.get("type") == "work"), None)
        or emails[0]
    )


def _writable(schema: Schema, value: dict[str, Any], urn: str) -> dict[str, Any]:
    kept = {}
    for key, item in value.items():
        attribute = schema.attribute(key)
        if attribute is None:
            raise errors.invalid_syntax(f"{key!r} is not an attribute of {urn}.")
        if attribute.mutability == READ_ONLY:
            continue
        _check_type(attribute, item, f"{urn}:{key}")
        kept[attribute.name] = item
    return kept


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "reference": (str,),
    "dateTime": (str,),
    "binary": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "decimal": (int, float),
    "complex": (dict,),
}


def _check_type(attribute: Attribute, value: Any, where: str) -> None:
    """The SCIM 400 unless the value has the attribute's type (a list of them when multi-valued)."""
    if value is None:
        return
    items = value
    if attribute.multi_valued:
        if not isinstance(value, list):
            raise errors.invalid_value(f"{where} must be a list (it is multi-valued).")
    else:
        items = [value]
    for item in items:
        ok = isinstance(item, _PY_TYPES.get(attribute.type, (object,))) and not (
            attribute.type in ("integer", "decimal") and isinstance(item, bool)
        )
        if not ok:
            raise errors.invalid_value(f"{where} must be of type {attribute.type}, got {type(item).__name__}.")
        if attribute.type == COMPLEX:
            for key, sub_value in item.items():
                sub = attribute.sub(key)
                if sub is None:
                    raise errors.invalid_syntax(f"{where} has no sub-attribute {key!r}.")
                _check_type(sub, sub_value, f"{where}.{key}")
            for sub in attribute.sub_attributes:
                if (
                    sub.required
                    and sub.mutability != READ_ONLY
                    and item.get(sub.name) in (None, "")
                    and where != "name"
                ):
                    raise errors.missing_required([f"{where}.{sub.name}"])


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """The values through the fixture field table (the same checks as a `[[users]]` entry)."""
    problems: list[Problem] = []
    values = {key: value for key, value in values.items() if value is not None}  # None: the field's default
    checked = read_table(values, USER_FIELDS, "body", "user", problems)
    if checked is None:
        first = problems[0]
        raise errors.invalid_value(f"The user was refused: {first.path.removeprefix('user.')}: {first.message}.")
    return checked


def _unique(domain: IdentityDomain, user_name: str, user_id: str | None) -> None:
    """The SCIM 409 when another user has this userName (user names compare ignoring case)."""
    wanted = user_name.lower()
    records = _records(domain)
    candidates = [name for name in domain.fixtures.users if name not in records and name.lower() == wanted]
    candidates += [name for name, record in records.items() if not record.get("removed") and name.lower() == wanted]
    for name in candidates:
        user = domain.user(name)
        if user is not None and user.guid != user_id:
            raise errors.uniqueness(f"A user with userName {user.user_name} already exists (id {user.guid}).")


def create_user(domain: IdentityDomain, body: Resource, caller: Caller) -> Resource:
    values, extras = values_from(body, None)
    if domain.store.count(runtime.USERS) >= MAX_CREATED:
        raise errors.ScimError(
            400,
            f"This identity domain already holds {MAX_CREATED} users changed at run time; delete some or reset it.",
            "error.common.validation.quotaExceeded",  # [choice]
            "tooMany",
        )
    _unique(domain, values["user_name"], None)
    values["id"] = uuid.uuid4().hex
    values["ocid"] = ids.stable_ocid("user", values["id"])
    values["updated_at"] = int(domain.clock.now())
    checked = _checked(values)
    now = domain.clock.now()
    by = caller.reference()
    record = {"rev": uuid.uuid4().hex, "values": checked, "scim": extras, "created": now, "modified": now, "by": by}
    stored = domain.store.update(
        runtime.USERS,
        checked["user_name"],
        lambda current: record if current is None or current.get("removed") else current,
    )
    if stored is None or stored["rev"] != record["rev"]:
        raise errors.uniqueness(f"A user with userName {checked['user_name']} already exists.")
    domain.store.put(INDEX, checked["id"], {"user_name": checked["user_name"]})
    runtime.bump_users(domain)
    return to_scim(domain, build_user(checked), record)


def replace_user(domain: IdentityDomain, user_id: str, body: Resource, caller: Caller) -> Resource:
    found = find(domain, user_id)
    if found is None:
        raise errors.not_found("User", user_id)
    user, record = found
    current = runtime.record_values(record) if record else _fixture_values(domain, user.user_name)
    values, extras = values_from(body, {**(current or {}), "id": user.guid, "ocid": user.ocid})
    _unique(domain, values["user_name"], user.guid)
    values["updated_at"] = int(domain.clock.now())
    checked = _checked(values)
    now = domain.clock.now()
    new = {
        "rev": uuid.uuid4().hex,
        "values": checked,
        "scim": extras,
        "created": (record or {}).get("created") or _fixture_created(domain),
        "modified": now,
        "by": (record or {}).get("by"),
        "modified_by": caller.reference(),
    }
    if checked["user_name"] != user.user_name:
        _drop(domain, user.user_name)
    domain.store.put(runtime.USERS, checked["user_name"], new)
    domain.store.put(INDEX, user.guid, {"user_name": checked["user_name"]})
    runtime.bump_users(domain)
    return to_scim(domain, build_user(checked), new)


def _fixture_values(domain: IdentityDomain, user_name: str) -> dict[str, Any] | None:
    user = domain.fixtures.users.get(user_name)
    if user is None:
        return None
    from dataclasses import asdict

    values = asdict(user)
    values["groups"] = list(values["groups"])
    values["app_roles"] = list(values["app_roles"])
    return values


def _drop(domain: IdentityDomain, user_name: str) -> None:
    if user_name in domain.fixtures.users:
        domain.store.put(runtime.USERS, user_name, {"rev": uuid.uuid4().hex, "removed": True})
    else:
        domain.store.delete(runtime.USERS, user_name)


def delete_user(domain: IdentityDomain, user_id: str, caller: Caller) -> None:
    found = find(domain, user_id)
    if found is None:
        raise errors.not_found("User", user_id)
    _drop(domain, found[0].user_name)
    domain.store.delete(INDEX, user_id)
    runtime.bump_users(domain)


USER_TYPE = ResourceType(
    name="User",
    endpoint="Users",
    schema=CORE,
    extensions=(IDCS_EXTENSION, ENTERPRISE),
    operations=Operations(
        list=list_users,
        get=get_user,
        create=create_user,
        replace=replace_user,
        delete=delete_user,
        index={"username": by_user_name, "id": by_id},
    ),
    read_scopes=READ,
    write_scopes=WRITE,
    description="User Account",
)
