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
MAX_FILTER = 4096
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

    def parse(self) -> Predicate:
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

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: any(part(doc) for part in parts)

    def conjunction(self) -> Predicate:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: all(part(doc) for part in parts)

    def factor(self) -> Predicate:
        if self.keyword("not"):
            self.expect("(")
            inner = self.disjunction()
            self.expect(")")
            return lambda doc: not inner(doc)
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

    def value_path(self, path: str, token: Token) -> Predicate:
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
        get = _getter(urn, attribute.name, None)

        def matches(doc: dict[str, Any]) -> bool:
            return any(isinstance(item, dict) and inner_filter(item) for item in get(doc))

        return matches

    def comparison(self, path: str, token: Token) -> Predicate:
        op_token = self.next("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)")
        op = op_token.text.lower()
        urn, attribute, sub = self.resolve(path, token)
        target = sub or attribute
        if target.type == COMPLEX and sub is None:  # `emails co "x"` compares emails.value (RFC 7644 §3.4.2.2)
            sub = attribute.sub("value")
            if sub is None:
                raise errors.invalid_filter(f"{path!r} is a complex attribute: compare one of its sub-attributes.")
            target = sub
        get = _getter(urn, attribute.name, sub.name if sub else None)
        if op == "pr":
            return lambda doc: any(v not in (None, "", [], {}) for v in get(doc))
        if op not in COMPARE:
            raise errors.invalid_filter(
                f"The filter {self.text!r} has {op_token.text!r} at position {op_token.at + 1} where an operator "
                "(eq, ne, co, sw, ew, gt, ge, lt, le, pr) was expected."
            )
        value = self.literal()
        return _compare(get, target, op, value, path)

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


def _getter(urn: str | None, name: str, sub: str | None) -> Callable[[dict[str, Any]], list[Any]]:
    """A function giving the values at a resolved path (a flat list: multi-valued attributes are spread)."""
    lowered = name.lower()

    def field(doc: Any, key: str, key_lower: str) -> Any:
        if not isinstance(doc, dict):
            return None
        if key in doc:
            return doc[key]
        for candidate, value in doc.items():
            if candidate.lower() == key_lower:
                return value
        return None

    def get(doc: dict[str, Any]) -> list[Any]:
        holder: Any = field(doc, urn, urn.lower()) if urn else doc
        value = field(holder, name, lowered)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        if sub is None:
            return items
        sub_lower = sub.lower()
        found = [field(item, sub, sub_lower) for item in items]
        return [item for item in found if item is not None]

    return get


def _compare(
    get: Callable[[dict[str, Any]], list[Any]], target: Attribute, op: str, value: Any, path: str
) -> Predicate:
    if value is None:
        if op == "eq":
            return lambda doc: not get(doc)
        if op == "ne":
            return lambda doc: bool(get(doc))
        raise errors.invalid_filter(f"null can only be compared with eq or ne ({path} {op} null).")
    kind = target.type
    if kind == BOOLEAN:
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise errors.invalid_filter(f"{path} is a boolean: compare it with eq or ne and true or false.")
        if op == "eq":
            return lambda doc: value in get(doc)
        return lambda doc: value not in get(doc)
    if kind in (INTEGER, DECIMAL):
        if not isinstance(value, int | float) or isinstance(value, bool) or op in ("co", "sw", "ew"):
            raise errors.invalid_filter(f"{path} is a number: compare it with eq, ne, gt, ge, lt or le and a number.")
        test = _ORDER[op]
        return lambda doc: any(isinstance(v, int | float) and test(v, value) for v in get(doc))
    if not isinstance(value, str):
        raise errors.invalid_filter(f'{path} is a {kind}: compare it with a quoted string, e.g. {path} {op} "…".')
    exact = target.case_exact or kind == DATETIME
    wanted = value if exact else value.lower()
    fold: Callable[[str], str] = (lambda s: s) if exact else str.lower
    if op in ("eq", "ne"):
        positive = op == "eq"

        def equal(doc: dict[str, Any]) -> bool:
            return any(isinstance(v, str) and fold(v) == wanted for v in get(doc)) == positive

        return equal
    test = _STRING[op]
    return lambda doc: any(isinstance(v, str) and test(fold(v), wanted) for v in get(doc))


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
    "co": lambda a, b: b in a,
    "sw": lambda a, b: a.startswith(b),
    "ew": lambda a, b: a.endswith(b),
}


def compile_filter(text: str, resource_type: ResourceType) -> Predicate:
    """A predicate over SCIM JSON dicts of this resource type, or the SCIM 400 invalidFilter saying what is wrong."""
    return _Parser(text, resource_type).parse()


def compile_element_filter(text: str, resource_type: ResourceType, attribute: Attribute) -> Predicate:
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
