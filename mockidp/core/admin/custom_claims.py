"""`/admin/v1/CustomClaims`: claims the domain adds to its tokens (identity-domain guide, "Managing Custom Claims").

A custom claim has a `name`, a `value` (a literal, or with `expression: true` a user expression such as
`$user.name.formatted` or `$user.emails.0.value`), a `mode` (`always`, `request`, `never`), a `tokenType` (`AT`,
`IT` or `BOTH`), and the scopes it goes with (`allScopes`, or `scopes`). The claims builder (`claims.py`) asks
`claims_for` for every access and ID token, so a created or changed claim is in the next token.

What the guide leaves open, mockidp decides [choice]:
- `always`: in every token of the token type when `allScopes` is true, else when the token request asked for one
  of `scopes` (a scope as the client asked for it, or its short value); `request`: only when the request asked for
  one of `scopes` (`allScopes` does not count); `never`: kept but not added.
- An expression needs a user: it is left out of client tokens, and out of any token whose user has no such value.
- Supported expressions: `$user.` followed by one of `EXPRESSION_PATHS` (N is an index); anything else is refused
  with a 400 that lists them. A claim may not replace a claim the domain sets itself (iss, sub, aud, exp, …).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core import runtime
from mockidp.core.admin import errors
from mockidp.core.admin.meta import meta
from mockidp.core.admin.resource import BOOLEAN, Attribute, Operations, ResourceType, Schema
from mockidp.core.fixtures import RESERVED_CLAIMS
from mockidp.core.model import User

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.claims import Grant
    from mockidp.core.domain import IdentityDomain

SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:CustomClaim"
NS = "admin_custom_claims"
MODES = ("always", "request", "never")
TOKEN_TYPES = ("AT", "IT", "BOTH")
MAX_NAME, MAX_VALUE = 100, 100  # [doc] "Maximum length is 100 characters" (an expression's result: no limit)
MAX_CLAIMS = 200  # [choice] bounded state
EXPRESSION_PREFIX = "$user."
# [choice] Custom claims are domain settings: Security Administrators and Identity Domain Administrators.
READ = WRITE = frozenset({"urn:opc:idm:t.security", "urn:opc:idm:t.settings"})
# What the service sets (readOnly: ignored in a create or replace body, as a PATCH sends them back).
SERVICE_SET = frozenset(
    {
        "id",
        "ocid",
        "meta",
        "idcsCreatedBy",
        "idcsLastModifiedBy",
        "idcsPreventedOperations",
        "deleteInProgress",
        "domainOcid",
        "compartmentOcid",
        "tenancyOcid",
        "idcsLastUpgradedInRelease",
        "tags",
    }
)
ACCEPTED = SERVICE_SET | {"schemas", "name", "value", "expression", "mode", "tokenType", "allScopes", "scopes"}


def _indexed(values: Callable[[Any, User], list[dict[str, Any]]], key: str) -> Callable[[Any, User, int], Any]:
    def read(domain: IdentityDomain, user: User, index: int) -> Any:
        items = values(domain, user)
        return items[index].get(key) if index < len(items) else None

    return read


def _emails(domain: IdentityDomain, user: User) -> list[dict[str, Any]]:
    return [{"value": user.email, "type": "work", "primary": True}] if user.email else []


def _phones(domain: IdentityDomain, user: User) -> list[dict[str, Any]]:
    return [{"value": user.phone_number, "type": "work", "primary": True}] if user.phone_number else []


def _groups(domain: IdentityDomain, user: User) -> list[dict[str, Any]]:
    from mockidp.core.admin import groups

    return [{"display": name} for _, name in groups.of_user(domain, user)]


# `$user.<path>` → the user's value, as the SCIM User resource names the attribute.
EXPRESSION_PATHS: dict[str, Callable[[User], Any]] = {
    "userName": lambda user: user.user_name,
    "displayName": lambda user: user.display_name or user.name or user.user_name,
    "name.formatted": lambda user: user.name,
    "name.givenName": lambda user: user.given_name,
    "name.familyName": lambda user: user.family_name,
    "locale": lambda user: user.locale,
    "timezone": lambda user: user.timezone,
    "active": lambda user: True,
}
INDEXED_PATHS: dict[str, Callable[[Any, User, int], Any]] = {
    "emails.N.value": _indexed(_emails, "value"),
    "emails.N.type": _indexed(_emails, "type"),
    "emails.N.primary": _indexed(_emails, "primary"),
    "phoneNumbers.N.value": _indexed(_phones, "value"),
    "groups.N.display": _indexed(_groups, "display"),
}
_INDEXED = re.compile(r"(?P<attr>[A-Za-z]+)\.(?P<index>\d{1,3})\.(?P<sub>[A-Za-z]+)")


@dataclass(frozen=True)
class CustomClaim:
    name: str
    value: str
    expression: bool
    mode: str
    token_type: str
    all_scopes: bool
    scopes: tuple[str, ...]

    def applies(self, tok_type: str, requested: set[str]) -> bool:
        if self.mode == "never" or self.token_type not in (tok_type, "BOTH"):
            return False
        asked = bool(requested.intersection(self.scopes))
        return asked or (self.mode == "always" and self.all_scopes)

    def evaluate(self, domain: IdentityDomain, user: User | None) -> Any:
        if not self.expression:
            return self.value
        return None if user is None else _evaluate(domain, self.value, user)


def _evaluate(domain: IdentityDomain, expression: str, user: User) -> Any:
    path = expression[len(EXPRESSION_PREFIX) :]
    reader = EXPRESSION_PATHS.get(path)
    if reader is not None:
        value = reader(user)
        return value if value not in ("", None) else None
    match = _INDEXED.fullmatch(path)
    if match is not None:
        indexed = INDEXED_PATHS.get(f"{match['attr']}.N.{match['sub']}")
        if indexed is not None:
            value = indexed(domain, user, int(match["index"]))
            return value if value not in ("", None) else None
    return None


def supported(expression: str) -> bool:
    if not expression.startswith(EXPRESSION_PREFIX):
        return False
    path = expression[len(EXPRESSION_PREFIX) :]
    match = _INDEXED.fullmatch(path)
    return path in EXPRESSION_PATHS or (match is not None and f"{match['attr']}.N.{match['sub']}" in INDEXED_PATHS)


# ---------------------------------------------------------------------------------------------- the claims builder


def claims_for(domain: IdentityDomain, revision: str, tok_type: str, grant: Grant) -> dict[str, Any]:
    """The custom claims of one token ("AT" or "IT"); `claims.py` calls this once a claim was ever created."""
    defined = domain.derived("custom_claims", revision, lambda: _definitions(domain))
    if not defined:
        return {}
    requested = set(grant.scopes.items)
    requested.update(value for resource in grant.scopes.resources for value in resource.values)
    found: dict[str, Any] = {}
    for claim in defined:
        if claim.applies(tok_type, requested):
            value = claim.evaluate(domain, grant.user)
            if value is not None:
                found[claim.name] = value
    return found


def _definitions(domain: IdentityDomain) -> tuple[CustomClaim, ...]:
    return tuple(_claim(record) for _, record in domain.store.items(NS))


def _claim(record: dict[str, Any]) -> CustomClaim:
    return CustomClaim(
        record["name"],
        record["value"],
        record["expression"],
        record["mode"],
        record["tokenType"],
        record["allScopes"],
        tuple(record.get("scopes", ())),
    )


# ---------------------------------------------------------------------------------------------- the operations


def to_scim(ident: str, record: dict[str, Any]) -> dict[str, Any]:
    body = {"schemas": [SCHEMA], "id": ident}
    body.update({key: record[key] for key in ("name", "value", "expression", "mode", "tokenType", "allScopes")})
    if record.get("scopes"):
        body["scopes"] = list(record["scopes"])
    body["meta"] = meta("CustomClaim", "CustomClaims", ident, record["created"], record["modified"], record["version"])
    from mockidp.core.admin.apps import changed_by

    body.update(changed_by(record))
    return body


def list_custom_claims(domain: IdentityDomain) -> list[dict[str, Any]]:
    return [to_scim(ident, record) for ident, record in domain.store.items(NS)]


def get_custom_claim(domain: IdentityDomain, ident: str) -> dict[str, Any] | None:
    record = domain.store.get(NS, ident)
    return None if record is None else to_scim(ident, record)


def create_custom_claim(domain: IdentityDomain, body: Any, caller: Caller | None = None) -> dict[str, Any]:
    values = _read(domain, body, None)
    if domain.store.count(NS) >= MAX_CLAIMS:
        raise _invalid(f"This identity domain holds {MAX_CLAIMS} custom claims, mockidp's limit; delete some first.")
    ident = uuid.uuid4().hex
    now = domain.clock.now()
    by = caller.reference() if caller is not None else None
    record = {**values, "created": now, "modified": now, "version": uuid.uuid4().hex, "by": by, "modified_by": by}
    domain.store.put(NS, ident, record)
    runtime.bump(domain, runtime.CUSTOM_CLAIMS_REVISION)
    return to_scim(ident, record)


def replace_custom_claim(domain: IdentityDomain, ident: str, body: Any, caller: Caller | None = None) -> dict[str, Any]:
    current = _existing(domain, ident)
    values = _read(domain, body, ident)
    record = {
        **values,
        "created": current["created"],
        "modified": domain.clock.now(),
        "version": uuid.uuid4().hex,
        "by": current.get("by"),
        "modified_by": caller.reference() if caller is not None else None,
    }
    domain.store.put(NS, ident, record)
    runtime.bump(domain, runtime.CUSTOM_CLAIMS_REVISION)
    return to_scim(ident, record)


def delete_custom_claim(domain: IdentityDomain, ident: str, caller: Caller | None = None) -> None:
    _existing(domain, ident)
    domain.store.delete(NS, ident)
    runtime.bump(domain, runtime.CUSTOM_CLAIMS_REVISION)


def _existing(domain: IdentityDomain, ident: str) -> dict[str, Any]:
    record = domain.store.get(NS, ident)
    if record is None:
        raise errors.not_found("CustomClaim", ident)
    return record


def _read(domain: IdentityDomain, body: Any, ident: str | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The body must be a JSON object: a CustomClaim resource.")
    if not isinstance(body.get("schemas"), list) or SCHEMA not in body["schemas"]:
        raise errors.invalid_syntax(f'A CustomClaim needs "schemas": ["{SCHEMA}"].')
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise errors.invalid_syntax(f"{unknown[0]!r} is not an attribute of CustomClaim.")
    missing = [
        key for key in ("name", "value", "expression", "mode", "tokenType", "allScopes") if body.get(key) is None
    ]
    if missing:
        raise errors.missing_required(missing)
    name = _required(body, "name", str, "the claim's name in the token")
    if not name.strip() or len(name) > MAX_NAME:
        raise _invalid(f"name must be 1 to {MAX_NAME} characters, got {len(name)}.")
    if name in RESERVED_CLAIMS:
        raise _invalid(f"name {name!r} is a claim the identity domain sets itself; choose another name.")
    for other, record in domain.store.items(NS):
        if other != ident and record["name"] == name:
            raise errors.uniqueness(f"A custom claim named {name!r} exists already (id {other}).")
    expression = _required(body, "expression", bool, "true when value is a user expression such as $user.userName")
    value = _required(body, "value", str, "the claim's value, or a user expression such as $user.userName")
    if expression and not supported(value):
        known = ", ".join([*EXPRESSION_PATHS, *INDEXED_PATHS])
        raise _invalid(
            f"The expression {value!r} is not supported by mockidp; it evaluates {EXPRESSION_PREFIX}<attribute> "
            f"for these attributes (N an index from 0): {known}."
        )
    if not expression and len(value) > MAX_VALUE:
        raise _invalid(f"value must be at most {MAX_VALUE} characters, got {len(value)}.")
    mode = _required(body, "mode", str, "one of " + ", ".join(MODES))
    if mode not in MODES:
        raise _invalid(f"mode must be one of {', '.join(MODES)}, got {mode!r}.")
    token_type = _required(body, "tokenType", str, "one of " + ", ".join(TOKEN_TYPES))
    if token_type not in TOKEN_TYPES:
        raise _invalid(f"tokenType must be one of {', '.join(TOKEN_TYPES)}, got {token_type!r}.")
    all_scopes = _required(body, "allScopes", bool, "true for every scope, false to list them in scopes")
    scopes = body.get("scopes", [])
    if scopes is None:
        scopes = []
    if not isinstance(scopes, list) or not all(isinstance(item, str) and item for item in scopes):
        raise _invalid(f"scopes must be a list of scope names, got {scopes!r}.")
    if not all_scopes and not scopes:
        raise _invalid("With allScopes false, list the scopes the claim goes with in scopes.")
    if mode == "request" and not scopes:
        raise _invalid('mode "request" adds the claim when one of its scopes is requested: list them in scopes.')
    return {
        "name": name,
        "value": value,
        "expression": expression,
        "mode": mode,
        "tokenType": token_type,
        "allScopes": all_scopes,
        "scopes": scopes,
    }


def _required(body: dict[str, Any], key: str, kind: type, what: str) -> Any:
    value = body.get(key)
    if value is None:
        raise _invalid(f"{key} is required: {what}.")
    if not isinstance(value, kind):
        raise _invalid(f"{key} must be {'true or false' if kind is bool else 'a string'}, got {value!r}.")
    return value


def _invalid(detail: str) -> errors.ScimError:
    return errors.invalid_value(detail)


def by_id(domain: IdentityDomain, ident: str) -> list[dict[str, Any]]:
    found = get_custom_claim(domain, ident)
    return [found] if found else []


SCHEMA_DEFINITION = Schema(
    SCHEMA,
    "CustomClaim",
    "Schema for CustomClaim resource.",
    (
        Attribute("name", required=True, uniqueness="server"),
        Attribute("value", required=True, case_exact=True),
        Attribute("expression", BOOLEAN, required=True),
        Attribute("mode", required=True, canonical_values=MODES),
        Attribute("tokenType", required=True, canonical_values=TOKEN_TYPES),
        Attribute("allScopes", BOOLEAN, required=True),
        Attribute("scopes", multi_valued=True, case_exact=True),
    ),
)
CUSTOM_CLAIM_TYPE = ResourceType(
    name="CustomClaim",
    endpoint="CustomClaims",
    schema=SCHEMA_DEFINITION,
    extensions=(),
    operations=Operations(
        list=list_custom_claims,
        get=get_custom_claim,
        create=create_custom_claim,
        replace=replace_custom_claim,
        delete=delete_custom_claim,
        index={"id": by_id},
    ),
    read_scopes=READ,
    write_scopes=WRITE,
    description="CustomClaim",
)
