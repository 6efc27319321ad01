"""RFC 7644 §3.4.2.2 filters over SCIM JSON dicts: a small recursive-descent parser compiling to predicates.

Why not a library: scim2-filter-parser transpiles to SQL (it has no evaluator over dicts) and scim2-models
brings pydantic models whose import alone costs more than mockidp's whole start-up; a filter here is ~200 lines.

Grammar: `or` < `and` < `not (…)` / `(…)` / `attrPath op value` / `attrPath pr` / `attrPath[filter]`;
operators eq ne co sw ew gt ge lt le pr; values "string" true false null numbers. Attribute names are
case-insensitive and may carry a schema URN (`urn:…:extension:user:User:isFederatedUser`) and one
sub-attribute (`name.givenName`, `emails.value`); string comparisons follow each attribute's `caseExact`.
Names the resource type does not define are an `invalidFilter` error saying which, as the real service does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core.admin import errors
from mockidp.core.admin.resource import BOOLEAN, COMPLEX, DATETIME, DECIMAL, INTEGER, Attribute

if TYPE_CHECKING:
    from mockidp.core.admin.resource import ResourceType

Predicate = Callable[[dict[str, Any]], bool]
Getter = Callable[[dict[str, Any]], list[Any]]
Scalar = Callable[[dict[str, Any]], Any]
MAX_FILTER = 4096
MAX_DEPTH = 32  # parentheses, not (…) and [filters] nested deeper are refused (no recursion without bound)
COMPARE = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<punct>[()\[\]])
    | (?P<word>[A-Za-z0-9_:$.\-+]+)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Token:
    kind: str  # string, punct, word
    text: str
    at: int


@dataclass(frozen=True)
class Comparison:
    """`attrPath op value` with the path resolved: what the patch and index fast paths look at."""

    urn: str | None
    attribute: Attribute
    sub: Attribute | None
    op: str
    value: Any


# ---------------------------------------------------------------------------------------------- compiled filters


class Columns:
    """Per-attribute value columns of one list of resources, built once and kept with that list (see listing):
    a comparison over 10,000 resources is then a scan of plain strings instead of 10,000 predicate calls."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs
        self._built: dict[tuple[Any, ...], list[Any]] = {}
        self._elements: dict[tuple[Any, ...], tuple[Columns, list[int]]] = {}
        self._other: dict[tuple[Any, ...], Any] = {}

    def elements(self, key: tuple[Any, ...], get: Getter) -> tuple[Columns, list[int]]:
        """The values of a multi-valued complex attribute of every resource, as a list of their own (with its
        columns), and for each the index of the resource it belongs to."""
        found = self._elements.get(key)
        if found is None:
            flat: list[dict[str, Any]] = []
            owners: list[int] = []
            for index, doc in enumerate(self.docs):
                for item in get(doc):
                    if isinstance(item, dict):
                        flat.append(item)
                        owners.append(index)
            found = self._elements[key] = (Columns(flat), owners)
        return found

    def cached(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """Anything else worked out once per list (e.g. a sort order)."""
        found = self._other.get(key)
        if found is None:
            found = self._other[key] = build()
        return found

    def column(self, key: tuple[Any, ...], scalar: Scalar, fold: bool) -> list[Any]:
        found = self._built.get(key)
        if found is None:
            values = map(scalar, self.docs)
            if fold:
                found = [v.lower() if isinstance(v, str) else None for v in values]
            else:
                found = list(values)
            self._built[key] = found
        return found


class Filter:
    """A compiled filter: a predicate over one resource, and `select`, the indexes of the matching resources
    of a whole list (the same answer; leaves on single-valued attributes use the list's columns)."""

    def __call__(self, doc: dict[str, Any]) -> bool:
        raise NotImplementedError

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        docs = columns.docs
        candidates = range(len(docs)) if within is None else within
        return {i for i in candidates if self(docs[i])}


class Test(Filter):
    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate

    def __call__(self, doc: dict[str, Any]) -> bool:
        return self.predicate(doc)


class All(Filter):
    def __init__(self, parts: list[Filter]) -> None:
        self.parts = parts

    def __call__(self, doc: dict[str, Any]) -> bool:
        return all(part(doc) for part in self.parts)

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        found = within
        for part in self.parts:
            found = part.select(columns, found)
            if not found:
                return set()
        return found if found is not None else set()


class Any_(Filter):
    def __init__(self, parts: list[Filter]) -> None:
        self.parts = parts

    def __call__(self, doc: dict[str, Any]) -> bool:
        return any(part(doc) for part in self.parts)

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        found: set[int] = set()
        for part in self.parts:
            found |= part.select(columns, within)
        return found


class Not(Filter):
    def __init__(self, inner: Filter) -> None:
        self.inner = inner

    def __call__(self, doc: dict[str, Any]) -> bool:
        return not self.inner(doc)

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        candidates = set(range(len(columns.docs))) if within is None else within
        return candidates - self.inner.select(columns, within)


class StringColumn(Filter):
    """`attr op "value"` on a single-valued string attribute."""

    def __init__(
        self, key: tuple[Any, ...], scalar: Scalar, exact: bool, test: Callable[[str, str], bool], wanted: str
    ) -> None:
        self.key, self.scalar, self.exact, self.test, self.wanted = key, scalar, exact, test, wanted

    def __call__(self, doc: dict[str, Any]) -> bool:
        value = self.scalar(doc)
        if not isinstance(value, str):
            return False
        return self.test(value if self.exact else value.lower(), self.wanted)

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        column = columns.column((*self.key, self.exact), self.scalar, not self.exact)
        test, wanted = self.test, self.wanted
        if within is not None:
            return {i for i in within if isinstance(v := column[i], str) and test(v, wanted)}
        return {i for i, v in enumerate(column) if isinstance(v, str) and test(v, wanted)}


class MultiStringColumn(Filter):
    """`attr op "value"` where the path may hold several strings (`emails.value`, `groups.display`)."""

    def __init__(
        self, key: tuple[Any, ...], get: Getter, exact: bool, op: str, test: Callable[[str, str], bool], wanted: str
    ) -> None:
        self.key, self.get, self.exact, self.op, self.test, self.wanted = key, get, exact, op, test, wanted

    def _values(self, doc: dict[str, Any]) -> tuple[str, ...]:
        found = (v for v in self.get(doc) if isinstance(v, str))
        return tuple(found if self.exact else (v.lower() for v in found))

    def __call__(self, doc: dict[str, Any]) -> bool:
        test, wanted = self.test, self.wanted
        return any(test(v, wanted) for v in self._values(doc))

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        column = columns.column((*self.key, "multi", self.exact), self._values, False)
        candidates = enumerate(column) if within is None else ((i, column[i]) for i in within)
        wanted = self.wanted
        if self.op == "eq":
            return {i for i, values in candidates if wanted in values}
        test = self.test
        return {i for i, values in candidates if values and any(test(v, wanted) for v in values)}


class ValuePath(Filter):
    """`attr[filter]`: some value of a multi-valued complex attribute matches the inner filter. A whole list is
    answered by running the inner filter over the columns of all those values at once."""

    def __init__(self, key: tuple[Any, ...], get: Getter, inner: Filter) -> None:
        self.key, self.get, self.inner = key, get, inner

    def __call__(self, doc: dict[str, Any]) -> bool:
        inner = self.inner
        return any(isinstance(item, dict) and inner(item) for item in self.get(doc))

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        elements, owners = columns.elements(self.key, self.get)
        found = {owners[i] for i in self.inner.select(elements)}
        return found if within is None else found & within


class ValueColumn(Filter):
    """`attr eq true|false` on a single-valued boolean attribute."""

    def __init__(self, key: tuple[Any, ...], scalar: Scalar, value: bool) -> None:
        self.key, self.scalar, self.value = key, scalar, value

    def __call__(self, doc: dict[str, Any]) -> bool:
        return self.scalar(doc) is self.value

    def select(self, columns: Columns, within: set[int] | None = None) -> set[int]:
        column = columns.column((*self.key, "raw"), self.scalar, False)
        value = self.value
        if within is not None:
            return {i for i in within if column[i] is value}
        return {i for i, v in enumerate(column) if v is value}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise errors.invalid_filter(
                f"The filter has an unexpected character at position {at + 1}: {text[at:][:20]!r}."
            )
        kind = match.lastgroup or "word"
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        at = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, resource_type: ResourceType, parent: Attribute | None = None) -> None:
        if len(text) > MAX_FILTER:
            raise errors.invalid_filter(f"The filter is longer than {MAX_FILTER} characters.")
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.type = resource_type
        self.parent = parent  # inside `emails[…]`: names are sub-attributes of emails
        self.depth = 0

    # -- tokens ---------------------------------------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise errors.invalid_filter(f"The filter {self.text!r} ends where {what} was expected.")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() in words:
            self.pos += 1
            return token.text.lower()
        return None

    def expect(self, punct: str) -> None:
        token = self.next(f'"{punct}"')
        if token.text != punct:
            raise errors.invalid_filter(
                f'The filter {self.text!r} has {token.text!r} at position {token.at + 1} where "{punct}" was expected.'
            )

    # -- grammar --------------------------------------------------------------------------------------------

    def parse(self) -> Filter:
        if not self.tokens:
            raise errors.invalid_filter("The filter is empty.")
        predicate = self.disjunction()
        extra = self.peek()
        if extra is not None:
            raise errors.invalid_filter(
                f"The filter {self.text!r} has {extra.text!r} at position {extra.at + 1} where and, or or the end "
                "was expected."
            )
        return predicate

    def disjunction(self) -> Filter:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Any_(parts)

    def conjunction(self) -> Filter:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else All(parts)

    def factor(self) -> Filter:
        self.depth += 1
        try:
            return self._factor()
        finally:
            self.depth -= 1

    def _factor(self) -> Filter:
        if self.depth > MAX_DEPTH:
            raise errors.invalid_filter(f"The filter nests parentheses deeper than {MAX_DEPTH} levels.")
        if self.keyword("not"):
            self.expect("(")
            inner = self.disjunction()
            self.expect(")")
            return Not(inner)
        token = self.next("an attribute name or (")
        if token.text == "(":
            inner = self.disjunction()
            self.expect(")")
            return inner
        if token.kind != "word":
            raise errors.invalid_filter(
                f"The filter {self.text!r} has {token.text!r} at position {token.at + 1} where an attribute name "
                "was expected."
            )
        path = token.text
        following = self.peek()
        if following is not None and following.text == "[":
            return self.value_path(path, token)
        return self.comparison(path, token)

    def value_path(self, path: str, token: Token) -> Filter:
        """`emails[type eq "work" and primary eq true]`: some value of a multi-valued attribute matches."""
        opening = self.tokens[self.pos]
        self.expect("[")
        urn, attribute, sub = self.resolve(path, token)
        if sub is not None or attribute.type != COMPLEX:
            raise errors.invalid_filter(f"{path!r} is not a complex attribute, so it cannot take a [filter].")
        depth = 1
        while depth:
            inner = self.next('"]"')
            depth += {"[": 1, "]": -1}.get(inner.text, 0) if inner.kind == "punct" else 0
        inner_text = self.text[opening.at + 1 : self.tokens[self.pos - 1].at]
        inner_filter = _Parser(inner_text, self.type, attribute).parse()
        get, _ = _getter(urn, attribute.name, None)
        return ValuePath((urn, attribute.name), get, inner_filter)

    def comparison(self, path: str, token: Token) -> Filter:
        op_token = self.next("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)")
        op = op_token.text.lower()
        urn, attribute, sub = self.resolve(path, token)
        target = sub or attribute
        if target.type == COMPLEX and sub is None:  # `emails co "x"` compares emails.value (RFC 7644 §3.4.2.2)
            sub = attribute.sub("value")
            if sub is None:
                raise errors.invalid_filter(f"{path!r} is a complex attribute: compare one of its sub-attributes.")
            target = sub
        get, scalar = _getter(urn, attribute.name, sub.name if sub else None, attribute.multi_valued)
        if op == "pr":
            return Test(lambda doc: any(v not in (None, "", [], {}) for v in get(doc)))
        if op not in COMPARE:
            raise errors.invalid_filter(
                f"The filter {self.text!r} has {op_token.text!r} at position {op_token.at + 1} where an operator "
                "(eq, ne, co, sw, ew, gt, ge, lt, le, pr) was expected."
            )
        value = self.literal()
        return _compare((urn, attribute.name, sub.name if sub else None), get, scalar, target, op, value, path)

    def literal(self) -> Any:
        token = self.next("a value")
        if token.kind == "string":
            try:
                return json.loads(token.text)
            except json.JSONDecodeError:
                raise errors.invalid_filter(f"The filter value {token.text} is not a valid string.") from None
        word = token.text.lower()
        if word in ("true", "false"):
            return word == "true"
        if word == "null":
            return None
        if _NUMBER.match(token.text):
            return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        raise errors.invalid_filter(
            f"The filter value {token.text!r} at position {token.at + 1} must be a quoted string, a number, "
            'true, false or null (e.g. userName eq "alice@example.com").'
        )

    def resolve(self, path: str, token: Token) -> tuple[str | None, Attribute, Attribute | None]:
        if self.parent is not None:
            found = self.parent.sub(path)
            if found is None:
                raise errors.invalid_filter(f"{self.parent.name} has no sub-attribute {path!r}.")
            return None, found, None  # evaluated on the element dict itself
        urn, attribute, sub = self.type.resolve(path)
        if attribute is None or ("." in path.rsplit(":", 1)[-1] and sub is None):
            raise errors.invalid_filter(
                f"The filter attribute {path!r} (position {token.at + 1}) is not an attribute of {self.type.name}."
            )
        return urn, attribute, sub


def _getter(urn: str | None, name: str, sub: str | None, multi: bool = True) -> tuple[Getter, Scalar | None]:
    """Functions giving the values at a resolved path: all of them as a flat list (multi-valued attributes are
    spread), and, for a path that holds at most one value, that value or None (the fast path of comparisons).
    Resources carry the schema's own attribute names (see resource.py), so lookups are plain `dict.get`s."""
    if not multi:
        if urn is None and sub is None:

            def scalar(doc: dict[str, Any]) -> Any:
                return doc.get(name)
        elif urn is None:

            def scalar(doc: dict[str, Any]) -> Any:
                holder = doc.get(name)
                return holder.get(sub) if isinstance(holder, dict) else None
        elif sub is None:

            def scalar(doc: dict[str, Any]) -> Any:
                holder = doc.get(urn)
                return holder.get(name) if isinstance(holder, dict) else None
        else:

            def scalar(doc: dict[str, Any]) -> Any:
                holder = doc.get(urn)
                holder = holder.get(name) if isinstance(holder, dict) else None
                return holder.get(sub) if isinstance(holder, dict) else None

        def single(doc: dict[str, Any]) -> list[Any]:
            value = scalar(doc)
            return [] if value is None else [value]

        return single, scalar

    def get(doc: dict[str, Any]) -> list[Any]:
        holder: Any = doc.get(urn) if urn else doc
        value = holder.get(name) if isinstance(holder, dict) else None
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        if sub is None:
            return items
        return [found for item in items if isinstance(item, dict) and (found := item.get(sub)) is not None]

    return get, None


def _compare(
    key: tuple[Any, ...], get: Getter, scalar: Scalar | None, target: Attribute, op: str, value: Any, path: str
) -> Filter:
    if value is None:
        if op == "eq":
            return Test(lambda doc: not get(doc))
        if op == "ne":
            return Test(lambda doc: bool(get(doc)))
        raise errors.invalid_filter(f"null can only be compared with eq or ne ({path} {op} null).")
    kind = target.type
    if kind == BOOLEAN:
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise errors.invalid_filter(f"{path} is a boolean: compare it with eq or ne and true or false.")
        if scalar is not None:
            same = ValueColumn(key, scalar, value)
            return same if op == "eq" else Not(same)
        if op == "eq":
            return Test(lambda doc: value in get(doc))
        return Test(lambda doc: value not in get(doc))
    if kind in (INTEGER, DECIMAL):
        if not isinstance(value, int | float) or isinstance(value, bool) or op in ("co", "sw", "ew"):
            raise errors.invalid_filter(f"{path} is a number: compare it with eq, ne, gt, ge, lt or le and a number.")
        test = _ORDER[op]
        return Test(lambda doc: any(isinstance(v, int | float) and test(v, value) for v in get(doc)))
    if not isinstance(value, str):
        raise errors.invalid_filter(f'{path} is a {kind}: compare it with a quoted string, e.g. {path} {op} "…".')
    exact = target.case_exact or kind == DATETIME
    wanted = value if exact else value.lower()
    test = _STRING[op]
    if op == "ne":
        return Not(_compare(key, get, scalar, target, "eq", value, path))
    if scalar is not None:
        return StringColumn(key, scalar, exact, test, wanted)
    return MultiStringColumn(key, get, exact, op, test, wanted)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
_STRING: dict[str, Callable[[str, str], bool]] = {
    **_ORDER,
    "eq": str.__eq__,
    "co": str.__contains__,
    "sw": str.startswith,
    "ew": str.endswith,
}


def compile_filter(text: str, resource_type: ResourceType) -> Filter:
    """A predicate over SCIM JSON dicts of this resource type, or the SCIM 400 invalidFilter saying what is wrong."""
    return _Parser(text, resource_type).parse()


def compile_element_filter(text: str, resource_type: ResourceType, attribute: Attribute) -> Filter:
    """A predicate over the elements of a multi-valued complex attribute (PATCH `members[value eq "…"]`)."""
    return _Parser(text, resource_type, attribute).parse()


def simple_equality(text: str, resource_type: ResourceType) -> tuple[str, str] | None:
    """(attribute name lower-cased, value) when the filter is just `attr eq "value"` on a top-level string
    attribute; the listing then uses the type's index instead of scanning."""
    tokens = tokenize(text) if len(text) <= MAX_FILTER else []
    if len(tokens) != 3 or tokens[0].kind != "word" or tokens[1].text.lower() != "eq" or tokens[2].kind != "string":
        return None
    urn, attribute, sub = resource_type.resolve(tokens[0].text)
    if urn is not None or attribute is None or sub is not None or "." in tokens[0].text:
        return None
    try:
        value = json.loads(tokens[2].text)
    except json.JSONDecodeError:
        return None
    return attribute.name.lower(), value
