"""Listing a resource type (RFC 7644 §3.4.2, §3.4.3, §3.9): filter, sortBy/sortOrder, startIndex/count and the
OCI SDK's page/limit (next page in `opc-next-page`), attributes/excludedAttributes/attributeSets, and the
ListResponse. `GET /{Type}` and `POST /{Type}/.search` both come here.

[doc] count defaults to 50 and is at most 1000 (the REST reference). [choice] A page token is the next
startIndex as a string: the SDK treats it as opaque, and it keeps `page` and `startIndex` one notion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core.admin import errors
from mockidp.core.admin.filter import Columns, compile_filter, simple_equality
from mockidp.core.admin.resource import ALWAYS, BOOLEAN, DATETIME, DECIMAL, DEFAULT, INTEGER, NEVER, REQUEST, Attribute

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.admin.resource import Resource, ResourceType
    from mockidp.core.domain import IdentityDomain

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
DEFAULT_COUNT, MAX_COUNT = 50, 1000
ATTRIBUTE_SETS = {
    "all": frozenset({ALWAYS, DEFAULT, REQUEST}),
    "always": frozenset({ALWAYS}),
    "default": frozenset({ALWAYS, DEFAULT}),
    "request": frozenset({ALWAYS, REQUEST}),
    "never": frozenset({ALWAYS}),  # never-returned attributes stay out whatever is asked
}


@dataclass(frozen=True)
class Projection:
    """Which attributes a response carries (RFC 7644 §3.9 plus the identity domain's attributeSets)."""

    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    sets: frozenset[str] = frozenset()  # the `returned` kinds asked for through attributeSets

    @property
    def is_default(self) -> bool:
        return not (self.attributes or self.excluded or self.sets)


@dataclass(frozen=True)
class Query:
    filter: str | None = None
    sort_by: str | None = None
    descending: bool = False
    start_index: int = 1
    count: int = DEFAULT_COUNT
    projection: Projection = Projection()


# ---------------------------------------------------------------------------------------------- reading queries


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def projection_from(params: Mapping[str, list[str]]) -> Projection:
    attributes = _names(params.get("attributes", []))
    excluded = _names(params.get("excludedAttributes", []))
    sets: set[str] = set()
    for name in _names(params.get("attributeSets", [])):
        kinds = ATTRIBUTE_SETS.get(name.lower())
        if kinds is None:
            raise errors.invalid_value(
                f"attributeSets value {name!r} is not one of {', '.join(ATTRIBUTE_SETS)} (case-insensitive)."
            )
        sets |= kinds
    return Projection(attributes, excluded, frozenset(sets))


def _integer(name: str, raw: Any, low: int) -> int:
    if isinstance(raw, bool):
        raw = None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise errors.invalid_value(f"{name} must be a whole number, got {raw!r}.") from None
    if value < low:
        raise errors.invalid_value(f"{name} must be {low} or more, got {value}.")
    return value


def query_from(params: Mapping[str, list[str]]) -> Query:
    """A query from URL parameters (each name with its values, as `parse_qs` gives them)."""

    def one(name: str) -> str | None:
        values = params.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise errors.invalid_value(f"{name} may be given once, got it {len(values)} times.")
        return values[0]

    start = one("startIndex")
    page = one("page")
    if page is not None and start is not None:
        raise errors.invalid_value("Give startIndex or page (the opc-next-page of the previous answer), not both.")
    start_index = 1
    if page is not None:
        start_index = _integer("page (the opc-next-page of the previous answer)", page, 1)
    elif start is not None:
        start_index = max(1, _integer("startIndex", start, -(2**31)))  # RFC 7644: less than 1 means 1
    count, limit = one("count"), one("limit")
    if count is not None and limit is not None:
        raise errors.invalid_value("Give count or limit, not both.")
    size = DEFAULT_COUNT
    if count is not None or limit is not None:
        size = min(MAX_COUNT, _integer("count" if count is not None else "limit", count or limit, 0))
    return Query(
        one("filter"), one("sortBy"), _descending(one("sortOrder")), start_index, size, projection_from(params)
    )


def query_from_search(body: Any) -> Query:
    """A query from a `POST …/.search` body (RFC 7644 §3.4.3)."""
    if not isinstance(body, dict):
        raise errors.invalid_syntax("The .search body must be a JSON object (a SearchRequest).")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or SEARCH_REQUEST not in schemas:
        raise errors.invalid_syntax(f'The .search body must have "schemas": ["{SEARCH_REQUEST}"].')
    known = {"schemas", "attributes", "excludedAttributes", "attributeSets", "filter", "sortBy", "sortOrder"}
    known |= {"startIndex", "count"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise errors.invalid_syntax(f"The SearchRequest has unknown members: {', '.join(unknown)}.")
    params: dict[str, list[str]] = {}
    for name in ("attributes", "excludedAttributes", "attributeSets"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise errors.invalid_syntax(f"{name} must be a list of attribute names.")
        params[name] = value
    for name in ("filter", "sortBy", "sortOrder"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise errors.invalid_syntax(f"{name} must be a string.")
    start_index = max(1, _integer("startIndex", body.get("startIndex", 1), -(2**31)))
    count = min(MAX_COUNT, _integer("count", body.get("count", DEFAULT_COUNT), 0))
    return Query(
        body.get("filter"),
        body.get("sortBy"),
        _descending(body.get("sortOrder")),
        start_index,
        count,
        projection_from(params),
    )


def _descending(order: str | None) -> bool:
    if order is None:
        return False
    lowered = order.lower()
    if lowered not in ("ascending", "descending"):
        raise errors.invalid_value(f'sortOrder must be "ascending" or "descending", got {order!r}.')
    return lowered == "descending"


# ---------------------------------------------------------------------------------------------- running


def run(
    domain: IdentityDomain, resource_type: ResourceType, query: Query, caller: Caller | None = None
) -> tuple[dict[str, Any], int | None]:
    """The ListResponse for a query, and the startIndex of the next page (None when this is the last).
    `caller` is needed for the types that list the caller's own resources (`Operations.mine`)."""
    operations = resource_type.operations
    mine = operations.mine
    listed = operations.list if mine is None else (lambda domain: mine(domain, caller))
    assert listed is not None
    predicate = compile_filter(query.filter, resource_type) if query.filter is not None else None
    equality = simple_equality(query.filter, resource_type) if query.filter is not None else None
    if predicate is not None and equality is not None and equality[0] in operations.index:
        found = [r for r in operations.index[equality[0]](domain, equality[1]) if predicate(r)]
        if query.sort_by:
            found = sort(found, resource_type, query.sort_by, query.descending)
    else:
        # the whole list, by index: filters and sort orders are worked out once per list and kept with it
        everything = listed(domain)
        columns = _columns(domain, resource_type, everything)
        indexes: list[int] | range = range(len(everything))
        if predicate is not None:
            indexes = sorted(predicate.select(columns))
        if query.sort_by:
            key = ("sort", query.sort_by.lower(), query.descending)
            order = columns.cached(key, lambda: _order(everything, resource_type, query.sort_by, query.descending))
            if predicate is not None:
                wanted = set(indexes)
                indexes = [i for i in order if i in wanted]
            else:
                indexes = order
        found = _Picked(everything, indexes)
    total = len(found)
    start = query.start_index
    page = found[start - 1 : start - 1 + query.count]
    body = {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "Resources": [project(resource, resource_type, query.projection) for resource in page],
        "startIndex": start,
        "itemsPerPage": len(page),
    }
    following = start + len(page)
    return body, (following if page and following <= total else None)


class _Picked:
    """Resources of a list by index, materialised only for the page asked for."""

    def __init__(self, resources: list[Resource], indexes: list[int] | range) -> None:
        self.resources, self.indexes = resources, indexes

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, window: slice) -> list[Resource]:
        return [self.resources[i] for i in self.indexes[window]]


def _columns(domain: IdentityDomain, resource_type: ResourceType, resources: list[Resource]) -> Columns:
    """The value columns of a type's resource list, kept while the type hands out that same list (types cache
    their list while nothing changes; a type building a new list each time just gets new columns)."""
    key = ("columns", resource_type.endpoint)
    cached = domain.cache.get(key)
    if cached is None or cached.docs is not resources:
        cached = domain.cache[key] = Columns(resources)
    return cached


def sort(resources: list[Resource], resource_type: ResourceType, sort_by: str, descending: bool) -> list[Resource]:
    return [resources[i] for i in _order(resources, resource_type, sort_by, descending)]


def _order(resources: list[Resource], resource_type: ResourceType, sort_by: str, descending: bool) -> list[int]:
    """The indexes of the resources in sortBy order (RFC 7644 §3.4.2.3: absent values last either way)."""
    urn, attribute, sub = resource_type.resolve(sort_by)
    if attribute is None or ("." in sort_by.rsplit(":", 1)[-1] and sub is None):
        raise errors.invalid_value(f"sortBy {sort_by!r} is not an attribute of {resource_type.name}.")
    target = sub or attribute
    if target.type == "complex":
        target = target.sub("value") or target
        sub = target if target is not attribute else None
    numeric = target.type in (INTEGER, DECIMAL, BOOLEAN)
    exact = target.case_exact or target.type == DATETIME

    def key(resource: Resource) -> tuple[int, Any]:
        holder: Any = _field(resource, urn) if urn else resource
        value = _field(holder, attribute.name)
        if isinstance(value, list):  # a multi-valued attribute sorts by its primary (or first) value
            primary = next((v for v in value if isinstance(v, dict) and v.get("primary")), value[0] if value else None)
            value = primary
        if sub is not None:
            value = _field(value, sub.name)
        elif isinstance(value, dict):
            value = value.get("value")
        if value is None or (numeric and not isinstance(value, int | float)):
            return (1, 0)  # absent values last, whichever the order (RFC 7644 §3.4.2.3)
        if numeric:
            return (0, value)
        text = str(value)
        return (0, text if exact else text.lower())

    keys = [key(resource) for resource in resources]
    present = [i for i, found in enumerate(keys) if found[0] == 0]
    absent = [i for i, found in enumerate(keys) if found[0] == 1]
    present.sort(key=lambda i: keys[i][1], reverse=descending)
    return present + absent


def _field(holder: Any, name: str) -> Any:
    if not isinstance(holder, dict):
        return None
    if name in holder:
        return holder[name]
    lowered = name.lower()
    return next((value for key, value in holder.items() if key.lower() == lowered), None)


# ---------------------------------------------------------------------------------------------- projection


def project(resource: Resource, resource_type: ResourceType, projection: Projection) -> Resource:
    """The resource with only the attributes the request asked for (never the returned=never ones)."""
    asked = _paths(projection.attributes)
    excluded = _paths(projection.excluded)
    kinds = projection.sets or (frozenset({ALWAYS}) if asked else frozenset({ALWAYS, DEFAULT}))
    result: Resource = {}
    for key, value in resource.items():
        extension = resource_type.extension(key) if key.startswith("urn:") else None
        if extension is not None:
            picked = _project_object(
                value,
                extension.attribute,
                asked.get(key.lower(), {}),
                excluded.get(key.lower(), {}),
                kinds,
                whole=key.lower() in asked and not asked[key.lower()],
            )
            if picked:
                result[key] = picked
            continue
        attribute = resource_type.attribute(key)
        if attribute is None:
            continue
        picked = _pick(attribute, value, asked.get(key.lower()), excluded.get(key.lower()), kinds)
        if picked is not _DROP:
            result[key] = picked
    return result


_DROP = object()
Paths = dict[str, Any]  # lower-cased name -> nested Paths ({} = the whole attribute)


def _paths(names: tuple[str, ...]) -> Paths:
    tree: Paths = {}
    for name in names:
        lowered = name.lower()
        prefix = ""
        if lowered.startswith("urn:"):
            # `urn:…:User:isFederatedUser` or `urn:…:User` (the whole extension): the URN ends at its last
            # capitalised segment, so split at the last colon and keep the URN when the tail is an attribute.
            head, _, tail = name.rpartition(":")
            if head.lower().startswith("urn:") and tail[:1].islower():
                prefix, lowered = head.lower(), tail.lower()
            else:
                tree.setdefault(lowered, {})
                continue
        node = tree.setdefault(prefix, {}) if prefix else tree
        parts = lowered.split(".")
        for index, part in enumerate(parts):
            child = node.setdefault(part, {})
            if index == len(parts) - 1:
                child.clear()
            node = child
    if "" in tree:
        del tree[""]
    return tree


def _pick(attribute: Attribute, value: Any, asked: Paths | None, excluded: Paths | None, kinds: frozenset[str]) -> Any:
    if attribute.returned == NEVER:
        return _DROP
    if attribute.returned == ALWAYS:
        return value
    if excluded is not None and not excluded:
        return _DROP
    if asked is not None:
        if not asked or not attribute.sub_attributes:
            return value
        return _sub_pick(attribute, value, asked)
    if attribute.returned not in kinds:
        return _DROP
    return value


def _sub_pick(attribute: Attribute, value: Any, asked: Paths) -> Any:
    def one(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        return {k: v for k, v in item.items() if k.lower() in asked or (attribute.sub(k) or _NONE).returned == ALWAYS}

    return [one(item) for item in value] if isinstance(value, list) else one(value)


_NONE = Attribute("")


def _project_object(
    value: Any, lookup: Any, asked: Paths, excluded: Paths, kinds: frozenset[str], *, whole: bool
) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    result = {}
    for key, item in value.items():
        attribute = lookup(key)
        if attribute is None:
            continue
        if whole:
            if attribute.returned != NEVER:
                result[key] = item
            continue
        picked = _pick(attribute, item, asked.get(key.lower()), excluded.get(key.lower()), kinds)
        if picked is not _DROP:
            result[key] = picked
    return result
