"""`/admin/v1/ApiKeys`: users' OCI API signing keys, the keys `signatures.py` checks request signatures with.

A user's fixture keys (`api_keys = ["erin-api.pub.pem"]`) are listed with a stable id; keys created through
the API are records in the store (so a reset drops them, and a shared store shares them). Deleting a fixture
key leaves a tombstone. A created key signs requests at once; a deleted one stops at once.

Attributes as the OCI SDK's `oci.identity_domains.models.ApiKey`: `key` (PEM, immutable), `fingerprint`
(computed, read-only), `description`, `user` (`value` = the user's id, `ocid`, `display`, `name`, `$ref`).
A create names the user by `user.value` or `user.ocid`. At most 3 keys per user, as OCI allows
(`fixtures.MAX_API_KEYS`); [choice] a fourth is a 400 (the real messageId is not public).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockidp.core import ids, runtime
from mockidp.core.admin import errors
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import (
    COMPLEX,
    IMMUTABLE,
    READ_ONLY,
    REFERENCE,
    Attribute,
    Operations,
    Resource,
    ResourceType,
    Schema,
)
from mockidp.core.fixtures import MAX_API_KEYS
from mockidp.core.verification_keys import ApiSigningKey, KeyFileError, parse_api_key

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User

SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:apikey"
NS = "admin_api_keys"  # id -> a created key, or {"removed": true} for a deleted fixture key
USERS_SCOPES = frozenset({"urn:opc:idm:t.users", "urn:opc:idm:t.user.manager"})
MAX_PEM = 16 * 1024


def fixture_key_id(user: User, fingerprint: str) -> str:
    return ids.stable_guid("apikey", user.id, fingerprint)


# ---------------------------------------------------------------------------------------------- the keys


def _users(domain: IdentityDomain) -> list[User]:
    return list(runtime.users(domain).values())


def _own_keys(domain: IdentityDomain, user: User) -> tuple[ApiSigningKey, ...]:
    """The keys of a user's `api_keys` files: the fixtures' (kept when the admin API replaces the user, as long
    as the id is the same) and those a control-plane user names."""
    fixture = domain.fixtures.users.get(user.user_name)
    keys = {key.fingerprint: key for key in (fixture.api_signing_keys if fixture and fixture.id == user.id else ())}
    keys.update((key.fingerprint, key) for key in user.api_signing_keys)
    return tuple(keys.values())


def _entries(domain: IdentityDomain, only: User | None = None) -> list[tuple[str, User, ApiSigningKey, dict[str, Any]]]:
    """Every API key now (or only one user's): (id, user, key, stored record or {} for an unchanged fixture key)."""
    stored = dict(domain.store.items(NS))
    users = _users(domain) if only is None else [only]
    by_id = {user.id: user for user in users}
    found = []
    for user in users:
        for key in _own_keys(domain, user):
            key_id = fixture_key_id(user, key.fingerprint)
            record = stored.pop(key_id, {})
            if not record.get("removed"):
                found.append((key_id, user, key, record))
    for key_id, record in sorted(stored.items(), key=lambda item: item[1].get("created", 0)):
        user = by_id.get(record.get("user_id", ""))
        if user is None or record.get("removed"):
            continue  # the key of a user who is gone goes with them (or another user's, with `only`)
        found.append((key_id, user, parse_api_key(record["key"]), record))
    return found


def find_signing_key(domain: IdentityDomain, user_ocid: str, fingerprint: str) -> tuple[User, ApiSigningKey] | None:
    """The active user with this OCID and their API key with this fingerprint, if both exist."""
    user = next((user for user in _users(domain) if user.ocid == user_ocid), None)
    if user is None or not user.active:
        return None
    return next(((user, key) for _, _, key, _ in _entries(domain, user) if key.fingerprint == fingerprint), None)


# ---------------------------------------------------------------------------------------------- SCIM


def _resource(domain: IdentityDomain, key_id: str, user: User, key: ApiSigningKey, record: dict) -> Resource:
    created = record.get("created", 0.0)
    modified = record.get("modified", created)
    description = record.get("description", "")
    version = record.get("version") or version_of([key_id, key.fingerprint, description])
    resource: Resource = {
        "schemas": [SCHEMA],
        "id": key_id,
        "fingerprint": key.fingerprint,
        "key": key.pem,
        "user": {
            "value": user.id,
            "ocid": user.ocid,
            "display": user.display_name or user.name or user.user_name,
            "name": user.user_name,
            "$ref": f"/admin/v1/Users/{user.id}",
        },
        "meta": meta("ApiKey", "ApiKeys", key_id, created, modified, version),
    }
    if description:
        resource["description"] = description
    for name in ("idcsCreatedBy", "idcsLastModifiedBy"):
        if record.get(name):
            resource[name] = record[name]
    return resource


def list_keys(domain: IdentityDomain) -> list[Resource]:
    return [_resource(domain, *entry) for entry in _entries(domain)]


def get_key(domain: IdentityDomain, key_id: str) -> Resource | None:
    return next((_resource(domain, *entry) for entry in _entries(domain) if entry[0] == key_id), None)


def _owner(domain: IdentityDomain, reference: Any) -> User:
    if reference is None:
        raise errors.missing_required(["user"])
    if not isinstance(reference, dict) or not (reference.get("value") or reference.get("ocid")):
        raise errors.invalid_value('user must name the key\'s user: {"value": "<user id>"} or {"ocid": "<user OCID>"}.')
    value, ocid = reference.get("value"), reference.get("ocid")
    for user in _users(domain):
        if (value is None or value == user.id) and (ocid is None or ocid == user.ocid):
            return user
    named = " and ".join(f"{name} {given!r}" for name, given in (("id", value), ("OCID", ocid)) if given)
    raise errors.invalid_value(f"There is no user with {named} for this API key.")


def create_key(domain: IdentityDomain, body: Resource, caller: Caller) -> Resource:
    pem = body.get("key")
    if pem is None:
        raise errors.missing_required(["key"])
    if not isinstance(pem, str) or len(pem) > MAX_PEM:
        raise errors.invalid_value("key must be the PEM text of an RSA public key (-----BEGIN PUBLIC KEY-----…).")
    try:
        key = parse_api_key(pem, "key")
    except KeyFileError as exc:
        raise errors.invalid_value(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    user = _owner(domain, body.get("user"))
    held = [entry for entry in _entries(domain) if entry[1].user_name == user.user_name]
    if any(entry[2].fingerprint == key.fingerprint for entry in held):
        raise errors.uniqueness(f"The user {user.user_name} already has the API key {key.fingerprint}.")
    if len(held) >= MAX_API_KEYS:
        raise errors.invalid_value(
            f"The user {user.user_name} already has {MAX_API_KEYS} API keys, the most OCI allows; delete one first."
        )
    description = body.get("description", "")
    if not isinstance(description, str):
        raise errors.invalid_value("description must be a string.")
    _drop_orphans(domain)
    key_id = ids.jti()
    now = domain.clock.now()
    reference = caller.reference()
    record = {
        "user_id": user.id,
        "key": key.pem,
        "description": description,
        "created": now,
        "modified": now,
        "version": ids.jti(),
        "idcsCreatedBy": reference,
        "idcsLastModifiedBy": reference,
    }
    domain.store.put(NS, key_id, record)
    return _resource(domain, key_id, user, key, record)


def _drop_orphans(domain: IdentityDomain) -> None:
    """Forget created keys whose user is gone (deleted through the admin API or the control plane), so that
    they neither pile up nor come back with a new user of the same id. Done on writes only."""
    present = {user.id for user in _users(domain)}
    for key_id, record in domain.store.items(NS):
        if not record.get("removed") and record.get("user_id") not in present:
            domain.store.delete(NS, key_id)


def replace_key(domain: IdentityDomain, key_id: str, body: Resource, caller: Caller) -> Resource:
    """Only `description` can change (`key` and `user` are immutable, `fingerprint` is computed)."""
    entry = next((entry for entry in _entries(domain) if entry[0] == key_id), None)
    if entry is None:
        raise errors.not_found("ApiKey", key_id)
    _, user, key, record = entry
    if "key" in body and isinstance(body["key"], str):
        try:
            same = parse_api_key(body["key"], "key").fingerprint == key.fingerprint
        except KeyFileError:
            same = False
        if not same:
            raise errors.mutability("key is immutable: create a new API key (and delete this one) instead.")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise errors.invalid_value("description must be a string.")
    now = domain.clock.now()
    changed = {
        "user_id": user.id,
        "key": key.pem,
        "created": record.get("created", 0.0),
        "idcsCreatedBy": record.get("idcsCreatedBy"),
        "description": description,
        "modified": now,
        "version": ids.jti(),
        "idcsLastModifiedBy": caller.reference(),
    }
    domain.store.put(NS, key_id, changed)
    return _resource(domain, key_id, user, key, changed)


def delete_key(domain: IdentityDomain, key_id: str, caller: Caller) -> None:
    entry = next((entry for entry in _entries(domain) if entry[0] == key_id), None)
    if entry is None:
        raise errors.not_found("ApiKey", key_id)
    user = entry[1]
    if any(fixture_key_id(user, own.fingerprint) == key_id for own in _own_keys(domain, user)):
        domain.store.put(NS, key_id, {"removed": True})
    else:
        domain.store.delete(NS, key_id)


def _user_reference() -> Attribute:
    return Attribute(
        "user",
        COMPLEX,
        mutability=IMMUTABLE,
        sub_attributes=(
            Attribute("value", mutability=IMMUTABLE, case_exact=True),
            Attribute("ocid", mutability=IMMUTABLE, case_exact=True),
            Attribute("$ref", REFERENCE, mutability=READ_ONLY),
            Attribute("display", mutability=READ_ONLY),
            Attribute("name", mutability=READ_ONLY),
        ),
        description="The user the API key belongs to",
    )


API_KEYS = ResourceType(
    name="ApiKey",
    endpoint="ApiKeys",
    schema=Schema(
        SCHEMA,
        "ApiKey",
        "An OCI API signing key of a user",
        (
            Attribute("key", required=True, case_exact=True, mutability=IMMUTABLE, description="PEM public key"),
            Attribute("fingerprint", case_exact=True, mutability=READ_ONLY, description="MD5 fingerprint"),
            Attribute("description"),
            _user_reference(),
        ),
    ),
    extensions=(),
    operations=Operations(list=list_keys, get=get_key, create=create_key, replace=replace_key, delete=delete_key),
    read_scopes=USERS_SCOPES,
    write_scopes=USERS_SCOPES,
    description="Users' OCI API signing keys",
)
