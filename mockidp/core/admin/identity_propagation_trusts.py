"""`/admin/v1/IdentityPropagationTrusts`: which outside JWTs the domain accepts as a user's identity (the SDK's
`IdentityPropagationTrust`), over the fixtures' `[[trusts]]` (see `core/trusts.py`, docs/server-to-server.md).

A trust made or changed here governs the next jwt-bearer grant and token exchange: `IdentityDomain.trusts` reads
fixture trusts through the records of `NS` (a replaced or created trust, or a tombstone for a deleted fixture
trust), rebuilt only when the revision changes. Attribute mapping to the fixture keys:

| SCIM attribute                                 | `[[trusts]]` key          |
|------------------------------------------------|---------------------------|
| name, issuer                                   | name, issuer              |
| publicCertificate (PEM, or base64 DER)         | public_key (a file there) |
| subjectClaimName                               | subject_claim             |
| subjectMappingAttribute (`userName`, `email`)  | subject_mapping           |
| oauthClients (client ids)                      | clients                   |
| clientClaimName, clientClaimValues             | client_claim(_values)     |
| allowImpersonation + impersonationServiceUsers | impersonation             |
|   `{rule, value: <user id>}`                   |   `{rule, user}`          |

[choice] Only `type` JWT and `subjectType` User are supported; `publicKeyEndpoint` is refused (mockidp fetches no
key from a URL); the issuer `self`, or the domain's own issuer URL, trusts the domain's own tokens. An inactive
trust (`active: false`) is kept but trusts nothing. `clockSkewSeconds` is kept and shown, not applied.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import TYPE_CHECKING, Any

from mockidp.core import ids, runtime
from mockidp.core.admin import errors
from mockidp.core.admin.custom_claims import SERVICE_SET
from mockidp.core.admin.meta import meta, version_of
from mockidp.core.admin.resource import BOOLEAN, COMPLEX, INTEGER, Attribute, Operations, ResourceType, Schema
from mockidp.core.model import ImpersonationRule, Trust
from mockidp.core.trusts import parse_rule
from mockidp.core.verification_keys import KeyFileError, VerificationKey, load_pem_data

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain

SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust"
NS = "admin_trusts"  # trust id -> {"trust": <SCIM attributes>} or {"removed": true} for a deleted fixture trust
SUBJECT_MAPPINGS = {"userName": "user_name", "email": "email", "emails.value": "email"}
MAX_TRUSTS = 100  # [choice] bounded state
MAX_CERTIFICATE = 16384
READ = WRITE = frozenset({"urn:opc:idm:t.security"})  # Security / Identity Domain Administrators


def fixture_id(trust: Trust) -> str:
    return ids.stable_guid("trust", trust.issuer)


# ---------------------------------------------------------------------------------------- the token endpoint's view


def by_issuer(domain: IdentityDomain) -> dict[str, Trust]:
    """The trusts in force, by issuer ("self" for the domain's own tokens): what `IdentityDomain.trusts` answers."""
    return {trust.issuer: trust for trust, active in _all(domain).values() if active}


def _all(domain: IdentityDomain) -> dict[str, tuple[Trust, bool]]:
    """Every trust by id with whether it is active: the fixtures' unless replaced or removed, then the API's."""
    found = {fixture_id(trust): (trust, True) for trust in domain.fixtures.trusts}
    for ident, record in domain.store.items(NS):
        if record.get("removed"):
            found.pop(ident, None)
        else:
            found[ident] = (_build(domain, record["trust"]), record["trust"].get("active", True))
    return found


def _build(domain: IdentityDomain, attrs: dict[str, Any]) -> Trust:
    users = {_user_id(user): name for name, user in runtime.users(domain).items()}
    rules = tuple(
        ImpersonationRule(item["rule"], users.get(item["value"], item["value"]), parse_rule(item["rule"]))
        for item in attrs.get("impersonationServiceUsers", ())
        if attrs.get("allowImpersonation")
    )
    keys: tuple[VerificationKey, ...] = ()
    if attrs.get("publicCertificate"):
        keys = (load_pem_data(_pem(attrs["publicCertificate"]), "the certificate"),)
    elif attrs.get("_fixture_keys"):
        fixture = next(t for t in domain.fixtures.trusts if fixture_id(t) == attrs["_fixture_keys"])
        keys = fixture.keys
    return Trust(
        name=attrs["name"],
        issuer=_issuer_key(domain, attrs["issuer"]),
        public_key="(admin API)" if attrs.get("publicCertificate") else None,
        subject_claim=attrs.get("subjectClaimName", "sub"),
        subject_mapping=SUBJECT_MAPPINGS[attrs.get("subjectMappingAttribute", "userName")],
        clients=tuple(attrs.get("oauthClients", ())),
        client_claim=attrs.get("clientClaimName"),
        client_claim_values=tuple(attrs.get("clientClaimValues", ())),
        impersonation=rules,
        keys=keys,
    )


def _issuer_key(domain: IdentityDomain, issuer: str) -> str:
    return "self" if issuer in ("self", domain.settings.issuer) else issuer


def _user_id(user: Any) -> str:
    return getattr(user, "id", None) or user.guid


def _pem(certificate: str) -> bytes:
    if "-----BEGIN" in certificate:
        return certificate.encode()
    body = "".join(certificate.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


# ---------------------------------------------------------------------------------------------- SCIM


def _fixture_attrs(domain: IdentityDomain, trust: Trust) -> dict[str, Any]:
    users = runtime.users(domain)
    attrs: dict[str, Any] = {
        "name": trust.name,
        "issuer": domain.settings.issuer if trust.is_self and domain.settings.issuer != "self" else trust.issuer,
        "type": "JWT",
        "subjectType": "User",
        "subjectClaimName": trust.subject_claim,
        "subjectMappingAttribute": "userName" if trust.subject_mapping == "user_name" else "email",
        "active": True,
        "allowImpersonation": bool(trust.impersonation),
    }
    if trust.clients:
        attrs["oauthClients"] = list(trust.clients)
    if trust.client_claim is not None:
        attrs["clientClaimName"] = trust.client_claim
        attrs["clientClaimValues"] = list(trust.client_claim_values)
    if trust.impersonation:
        attrs["impersonationServiceUsers"] = [
            {"rule": rule.rule, "value": _user_id(users[rule.user]) if rule.user in users else rule.user}
            for rule in trust.impersonation
        ]
    if trust.keys:
        attrs["_fixture_keys"] = fixture_id(trust)
    return attrs


def _records(domain: IdentityDomain) -> dict[str, dict[str, Any]]:
    """Every trust's SCIM attributes by id (with its meta)."""
    found = {fixture_id(trust): {"trust": _fixture_attrs(domain, trust)} for trust in domain.fixtures.trusts}
    for ident, record in domain.store.items(NS):
        if record.get("removed"):
            found.pop(ident, None)
        else:
            found[ident] = record
    return found


def to_scim(domain: IdentityDomain, ident: str, record: dict[str, Any]) -> dict[str, Any]:
    from mockidp.core.admin.apps import changed_by, fixture_created

    attrs = {key: value for key, value in record["trust"].items() if not key.startswith("_")}
    if "created" in record:
        created, modified, version = record["created"], record["modified"], record["version"]
    else:
        created = modified = fixture_created(domain)
        version = version_of(attrs)
    where = meta("IdentityPropagationTrust", "IdentityPropagationTrusts", ident, created, modified, version)
    return {"schemas": [SCHEMA], "id": ident, "meta": where, **attrs, **changed_by(record)}


def list_trusts(domain: IdentityDomain) -> list[dict[str, Any]]:
    return [to_scim(domain, ident, record) for ident, record in _records(domain).items()]


def get_trust(domain: IdentityDomain, ident: str) -> dict[str, Any] | None:
    record = _records(domain).get(ident)
    return None if record is None else to_scim(domain, ident, record)


def create_trust(domain: IdentityDomain, body: Any, caller: Caller | None = None) -> dict[str, Any]:
    attrs = _read(domain, body, None)
    if domain.store.count(NS) >= MAX_TRUSTS:
        raise _invalid(f"This identity domain holds {MAX_TRUSTS} trusts, mockidp's limit; delete some first.")
    return _store(domain, uuid.uuid4().hex, attrs, None, caller)


def replace_trust(domain: IdentityDomain, ident: str, body: Any, caller: Caller | None = None) -> dict[str, Any]:
    current = _existing(domain, ident)
    attrs = _read(domain, body, ident)
    kept = current["trust"].get("_fixture_keys")
    if kept and not attrs.get("publicCertificate") and attrs["issuer"] == current["trust"]["issuer"]:
        attrs["_fixture_keys"] = kept  # a fixture trust keeps its key file unless a certificate replaces it
    elif not attrs.get("publicCertificate") and _issuer_key(domain, attrs["issuer"]) != "self":
        raise _invalid("publicCertificate is required: the issuer's signing certificate (PEM or base64 DER).")
    return _store(domain, ident, attrs, current, caller)


def delete_trust(domain: IdentityDomain, ident: str, caller: Caller | None = None) -> None:
    _existing(domain, ident)
    if any(fixture_id(trust) == ident for trust in domain.fixtures.trusts):
        domain.store.put(NS, ident, {"removed": True})
    else:
        domain.store.delete(NS, ident)
    runtime.bump(domain, runtime.TRUSTS_REVISION)


def _store(
    domain: IdentityDomain, ident: str, attrs: dict[str, Any], current: dict[str, Any] | None, caller: Caller | None
) -> dict[str, Any]:
    now = domain.clock.now()
    by = caller.reference() if caller is not None else None
    record = {
        "by": (current or {}).get("by", by) if current and "created" in current else by,
        "modified_by": by,
        "trust": attrs,
        "created": (current or {}).get("created", now),
        "modified": now,
        "version": uuid.uuid4().hex,
    }
    try:
        _build(domain, attrs)
    except KeyFileError as exc:
        raise _invalid(f"publicCertificate cannot be used: {exc}.") from None
    domain.store.put(NS, ident, record)
    runtime.bump(domain, runtime.TRUSTS_REVISION)
    return to_scim(domain, ident, record)


def _existing(domain: IdentityDomain, ident: str) -> dict[str, Any]:
    record = _records(domain).get(ident)
    if record is None:
        raise errors.not_found("IdentityPropagationTrust", ident)
    return record


# ---------------------------------------------------------------------------------------------- reading a request


def _read(domain: IdentityDomain, body: Any, ident: str | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The body must be a JSON object: an IdentityPropagationTrust resource.")
    if not isinstance(body.get("schemas"), list) or SCHEMA not in body["schemas"]:
        raise errors.invalid_syntax(f'An IdentityPropagationTrust needs "schemas": ["{SCHEMA}"].')
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise errors.invalid_syntax(
            f"{unknown[0]!r} is not an IdentityPropagationTrust attribute mockidp supports "
            f"({', '.join(sorted(ACCEPTED - SERVICE_SET - {'schemas'}))})."
        )
    missing = [key for key in ("name", "issuer", "type") if body.get(key) in (None, "")]
    if missing:
        raise errors.missing_required(missing)
    name = _string(body, "name", required=True)
    issuer = _string(body, "issuer", required=True)
    kind = _string(body, "type", required=True)
    if kind != "JWT":
        raise _invalid(f"type {kind!r} is not supported by mockidp; use JWT.")
    subject_type = _string(body, "subjectType") or "User"
    if subject_type != "User":
        raise _invalid(f"subjectType {subject_type!r} is not supported by mockidp; use User.")
    if body.get("publicKeyEndpoint"):
        raise _invalid(
            "publicKeyEndpoint is not supported: mockidp fetches no key from a URL. Give the issuer's signing "
            "certificate in publicCertificate (PEM, or base64 DER)."
        )
    for other, record in _records(domain).items():
        if other != ident and _issuer_key(domain, record["trust"]["issuer"]) == _issuer_key(domain, issuer):
            raise errors.uniqueness(f"Trust {record['trust']['name']!r} (id {other}) already has issuer {issuer!r}.")
    attrs: dict[str, Any] = {"name": name, "issuer": issuer, "type": kind, "subjectType": subject_type}
    description = _string(body, "description")
    if description is not None:
        attrs["description"] = description
    certificate = _string(body, "publicCertificate")
    is_self = _issuer_key(domain, issuer) == "self"
    if certificate is not None:
        if is_self:
            raise _invalid(
                "A trust of this domain's own issuer is checked with the domain's keys: leave out publicCertificate."
            )
        if len(certificate) > MAX_CERTIFICATE:
            raise _invalid(f"publicCertificate is longer than {MAX_CERTIFICATE} characters.")
        if "-----BEGIN" not in certificate:
            try:
                base64.b64decode("".join(certificate.split()), validate=True)
            except (binascii.Error, ValueError):
                raise _invalid("publicCertificate must be a PEM certificate or base64 of its DER.") from None
        attrs["publicCertificate"] = certificate
    elif not is_self and ident is None:
        raise _invalid("publicCertificate is required: the issuer's signing certificate (PEM or base64 DER).")
    attrs["subjectClaimName"] = _string(body, "subjectClaimName") or "sub"
    mapping = _string(body, "subjectMappingAttribute") or "userName"
    if mapping not in SUBJECT_MAPPINGS:
        raise _invalid(f"subjectMappingAttribute must be one of {', '.join(SUBJECT_MAPPINGS)}, got {mapping!r}.")
    attrs["subjectMappingAttribute"] = mapping
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise _invalid(f"active must be true or false, got {active!r}.")
    attrs["active"] = active
    clients = _strings(body, "oauthClients")
    for client_id in clients:
        if domain.client(client_id) is None:
            raise _invalid(f"oauthClients: no client with client_id {client_id!r} (an App's name).")
    if clients:
        attrs["oauthClients"] = clients
    claim, values = _string(body, "clientClaimName"), _strings(body, "clientClaimValues")
    if (claim is None) != (not values):
        raise _invalid("clientClaimName and clientClaimValues go together: set both or neither.")
    if claim is not None:
        attrs.update({"clientClaimName": claim, "clientClaimValues": values})
    impersonate = body.get("allowImpersonation", False)
    if not isinstance(impersonate, bool):
        raise _invalid(f"allowImpersonation must be true or false, got {impersonate!r}.")
    attrs["allowImpersonation"] = impersonate
    attrs.update(_service_users(domain, body.get("impersonationServiceUsers"), impersonate))
    skew = body.get("clockSkewSeconds")
    if skew is not None:
        if not isinstance(skew, int) or isinstance(skew, bool) or not 0 <= skew <= 3600:
            raise _invalid(f"clockSkewSeconds must be a whole number of seconds from 0 to 3600, got {skew!r}.")
        attrs["clockSkewSeconds"] = skew
    return attrs


def _service_users(domain: IdentityDomain, raw: Any, impersonate: bool) -> dict[str, Any]:
    if raw in (None, []):
        if impersonate:
            raise _invalid('allowImpersonation needs impersonationServiceUsers: [{"rule": …, "value": <user id>}].')
        return {}
    if not impersonate:
        raise _invalid("impersonationServiceUsers are used only with allowImpersonation true.")
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise _invalid('impersonationServiceUsers must be a list of {"rule": "<rule>", "value": "<user id>"}.')
    users = {_user_id(user) for user in runtime.users(domain).values()}
    items = []
    for index, item in enumerate(raw):
        rule, value = item.get("rule"), item.get("value")
        if not isinstance(rule, str):
            raise _invalid(f"impersonationServiceUsers[{index}].rule is required, e.g. \"sub eq 'ci-bot'\".")
        try:
            parse_rule(rule)
        except ValueError as exc:
            raise _invalid(f"impersonationServiceUsers[{index}].rule: {exc}.") from None
        if value not in users:
            raise _invalid(f"impersonationServiceUsers[{index}].value {value!r} is not the id of a user.")
        items.append({"rule": rule, "value": value})
    return {"impersonationServiceUsers": items}


def _string(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _invalid(f"{key} is required.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _invalid(f"{key} must be a non-empty string, got {value!r}.")
    return value


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(f"{key} must be a list of strings, got {value!r}.")
    return value


def _invalid(detail: str) -> errors.ScimError:
    return errors.invalid_value(detail)


# ---------------------------------------------------------------------------------------------- the resource type

ACCEPTED = SERVICE_SET | frozenset(
    {
        "schemas",
        "name",
        "description",
        "type",
        "issuer",
        "subjectClaimName",
        "subjectMappingAttribute",
        "subjectType",
        "clientClaimName",
        "clientClaimValues",
        "active",
        "publicKeyEndpoint",
        "publicCertificate",
        "oauthClients",
        "allowImpersonation",
        "clockSkewSeconds",
        "impersonationServiceUsers",
    }
)
SCHEMA_DEFINITION = Schema(
    SCHEMA,
    "IdentityPropagationTrust",
    "Schema for IdentityPropagationTrust resource.",
    (
        Attribute("name", required=True, uniqueness="server"),
        Attribute("description"),
        Attribute("type", required=True, mutability="immutable", canonical_values=("JWT", "SAML", "SPNEGO", "AWS")),
        Attribute("issuer", required=True, case_exact=True, uniqueness="server"),
        Attribute("subjectClaimName", case_exact=True),
        Attribute("subjectMappingAttribute", canonical_values=tuple(SUBJECT_MAPPINGS)),
        Attribute("subjectType", canonical_values=("User", "App")),
        Attribute("clientClaimName", case_exact=True),
        Attribute("clientClaimValues", multi_valued=True, case_exact=True),
        Attribute("active", BOOLEAN),
        Attribute("publicKeyEndpoint", "reference"),
        Attribute("publicCertificate"),
        Attribute("oauthClients", multi_valued=True, case_exact=True),
        Attribute("allowImpersonation", BOOLEAN),
        Attribute("clockSkewSeconds", INTEGER),
        Attribute(
            "impersonationServiceUsers",
            COMPLEX,
            multi_valued=True,
            sub_attributes=(
                Attribute("value", required=True, case_exact=True),
                Attribute("rule", required=True),
                Attribute("ocid", mutability="readOnly"),
            ),
        ),
    ),
)


def by_id(domain: IdentityDomain, ident: str) -> list[dict[str, Any]]:
    found = get_trust(domain, ident)
    return [found] if found else []


IDENTITY_PROPAGATION_TRUST_TYPE = ResourceType(
    name="IdentityPropagationTrust",
    endpoint="IdentityPropagationTrusts",
    schema=SCHEMA_DEFINITION,
    extensions=(),
    operations=Operations(
        list=list_trusts,
        get=get_trust,
        create=create_trust,
        replace=replace_trust,
        delete=delete_trust,
        index={"id": by_id},
    ),
    read_scopes=READ,
    write_scopes=WRITE,
    description="IdentityPropagationTrust",
)
