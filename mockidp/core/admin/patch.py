"""PATCH (RFC 7644 §3.5.2) as one generic step: apply a PatchOp to a resource's SCIM JSON, then the type's
`replace` validates and stores the result — so a PATCH can do nothing a PUT could not.

Operations `add`, `replace`, `remove` (names case-insensitive, as some clients capitalise them); paths
`attr`, `attr.sub`, `urn:…:attr`, value paths `members[value eq "…"]` and `emails[type eq "work"].value`; no
path: the value is an object of attributes to add or replace. A `remove` of a multi-valued attribute with a
`value` list removes those elements (what several provisioning clients send for group members).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from mockidp.core.admin import errors
from mockidp.core.admin.filter import compile_element_filter
from mockidp.core.admin.resource import COMPLEX, IMMUTABLE, READ_ONLY, Attribute

if TYPE_CHECKING:
    from mockidp.core.admin.resource import Resource, ResourceType

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
_VALUE_PATH = re.compile(r"^(?P<attr>[^\[\]]+)\[(?P<filter>.*)\](?:\.(?P<sub>[A-Za-z$][\w$-]*))?$", re.DOTALL)


def apply(resource: Resource, body: Any, resource_type: ResourceType) -> Resource:
    """The resource after the PatchOp, or the SCIM 400 naming the operation that cannot be applied."""
    if not isinstance(body, dict):
        raise errors.invalid_syntax("A PATCH body must be a JSON object (a PatchOp).")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_OP not in schemas:
        raise errors.invalid_syntax(f'A PATCH body must have "schemas": ["{PATCH_OP}"].')
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise errors.invalid_syntax('A PatchOp needs "Operations": a non-empty list of {"op", "path", "value"}.')
    if len(operations) > MAX_OPERATIONS:
        raise errors.too_large(f"A PatchOp may have at most {MAX_OPERATIONS} operations.")
    doc = copy.deepcopy(resource)
    for index, operation in enumerate(operations):
        _apply(doc, operation, resource_type, f"Operations[{index}]")
    return doc


def _apply(doc: Resource, operation: Any, resource_type: ResourceType, where: str) -> None:
    if not isinstance(operation, dict):
        raise errors.invalid_syntax(f"{where} must be an object with op, path and value.")
    op = operation.get("op")
    if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
        raise errors.invalid_syntax(f'{where}.op must be "add", "replace" or "remove", got {op!r}.')
    op = op.lower()
    path = operation.get("path")
    has_value = "value" in operation
    value = operation.get("value")
    if path is not None and (not isinstance(path, str) or not path.strip()):
        raise errors.invalid_path(f"{where}.path must be a non-empty string.")
    if op != "remove" and not has_value:
        raise errors.invalid_syntax(f"{where} ({op}) needs a value.")
    if path is None:
        if op == "remove":
            raise errors.no_target(f"{where}: remove needs a path saying what to remove.")
        if not isinstance(value, dict):
            raise errors.invalid_syntax(f"{where}: without a path, the value must be an object of attributes.")
        for key, item in value.items():
            if key.startswith("urn:") and resource_type.extension(key) is not None and isinstance(item, dict):
                for sub_key, sub_item in item.items():
                    _apply_path(doc, op, f"{key}:{sub_key}", sub_item, True, resource_type, where)
            elif key != "schemas":
                _apply_path(doc, op, key, item, True, resource_type, where)
        return
    _apply_path(doc, op, path.strip(), value, has_value, resource_type, where)


def _apply_path(
    doc: Resource, op: str, path: str, value: Any, has_value: bool, resource_type: ResourceType, where: str
) -> None:
    extension = resource_type.extension(path) if path.lower().startswith("urn:") else None
    if extension is not None:  # the whole extension object
        if op == "remove":
            doc.pop(extension.id, None)
            return
        if not isinstance(value, dict):
            raise errors.invalid_value(f"{where}: the value for {path} must be an object of its attributes.")
        for key, item in value.items():
            if key != "schemas":
                _apply_path(doc, op, f"{extension.id}:{key}", item, True, resource_type, where)
        return
    matched = _VALUE_PATH.match(path)
    attr_path, element_filter, sub_name = (
        (matched["attr"], matched["filter"], matched["sub"]) if matched else (path, None, None)
    )
    urn, attribute, sub = resource_type.resolve(attr_path)
    if attribute is None or ("." in attr_path.rsplit(":", 1)[-1] and sub is None):
        raise errors.invalid_path(f"{where}: {path!r} is not an attribute of {resource_type.name}.")
    if sub_name is not None:
        sub = attribute.sub(sub_name)
        if sub is None:
            raise errors.invalid_path(f"{where}: {attribute.name} has no sub-attribute {sub_name!r}.")
    for target in (attribute, sub):
        if target is not None and target.mutability == READ_ONLY:
            raise errors.mutability(f"{where}: {path} is read-only.")
    if attribute.mutability == IMMUTABLE and op != "add":
        raise errors.mutability(f"{where}: {path} is immutable: it can only be set when it has no value.")
    container = doc if urn is None else doc.setdefault(urn, {})
    if not isinstance(container, dict):
        raise errors.invalid_path(f"{where}: {urn} is not an object.")
    key = _canonical(container, attribute.name)
    if element_filter is not None:
        _with_filter(container, key, attribute, sub, element_filter, op, value, resource_type, where, path)
        return
    if sub is not None:
        _sub_attribute(container, key, attribute, sub, op, value, where, path)
        return
    current = container.get(key)
    if op == "remove":
        if has_value and attribute.multi_valued and isinstance(current, list):
            doomed = value if isinstance(value, list) else [value]
            keys = [_identity(item) for item in doomed]
            container[key] = [item for item in current if _identity(item) not in keys]
        else:
            container.pop(key, None)
        return
    if attribute.multi_valued:
        items = value if isinstance(value, list) else [value]
        if op == "add" and isinstance(current, list):
            known = [_identity(item) for item in current]
            container[key] = current + [item for item in items if _identity(item) not in known]
        else:
            container[key] = items
        return
    if attribute.type == COMPLEX and isinstance(value, dict) and isinstance(current, dict):
        container[key] = {**current, **value}  # RFC 7644 §3.5.2.1/3: sub-attributes not given stay
        return
    container[key] = value


def _sub_attribute(
    container: dict[str, Any],
    key: str,
    attribute: Attribute,
    sub: Attribute,
    op: str,
    value: Any,
    where: str,
    path: str,
) -> None:
    current = container.get(key)
    holders = current if isinstance(current, list) else [current] if isinstance(current, dict) else []
    if not holders:
        if op == "remove":
            return
        if attribute.multi_valued:
            raise errors.no_target(f"{where}: {path} names a sub-attribute of {attribute.name}, which has no values.")
        holders = [container.setdefault(key, {})]
    for holder in holders:
        sub_key = _canonical(holder, sub.name)
        if op == "remove":
            holder.pop(sub_key, None)
        else:
            holder[sub_key] = value


def _with_filter(
    container: dict[str, Any],
    key: str,
    attribute: Attribute,
    sub: Attribute | None,
    element_filter: str,
    op: str,
    value: Any,
    resource_type: ResourceType,
    where: str,
    path: str,
) -> None:
    if not attribute.multi_valued or attribute.type != COMPLEX:
        raise errors.invalid_path(f"{where}: {attribute.name} is not a multi-valued complex attribute: no [filter].")
    predicate = compile_element_filter(element_filter, resource_type, attribute)
    elements = container.get(key)
    elements = elements if isinstance(elements, list) else []
    matching = [element for element in elements if isinstance(element, dict) and predicate(element)]
    if not matching:
        if op == "add" and sub is not None:
            raise errors.no_target(f"{where}: no value of {attribute.name} matches [{element_filter}].")
        if op in ("replace", "add"):
            raise errors.no_target(f"{where}: no value of {attribute.name} matches [{element_filter}].")
        return  # removing what is not there leaves the resource as it is
    if sub is not None:
        for element in matching:
            sub_key = _canonical(element, sub.name)
            if op == "remove":
                element.pop(sub_key, None)
            else:
                element[sub_key] = value
        return
    if op == "remove":
        container[key] = [element for element in elements if not any(element is m for m in matching)]
        return
    if not isinstance(value, dict):
        raise errors.invalid_value(
            f"{where}: the value for {path} must be an object of {attribute.name}'s sub-attributes."
        )
    for element in matching:
        element.update(value)


def _canonical(holder: dict[str, Any], name: str) -> str:
    """The attribute's schema name; a key differing only in case is dropped so the schema name wins."""
    lowered = name.lower()
    for key in list(holder):
        if key.lower() == lowered and key != name:
            holder[name] = holder.pop(key)
    return name


def _identity(item: Any) -> Any:
    """What makes two values of a multi-valued attribute the same (their `value`, else the whole value)."""
    if isinstance(item, dict) and "value" in item:
        return ("value", str(item["value"]))
    return ("item", repr(item))
