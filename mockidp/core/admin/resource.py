"""What a SCIM resource type is to the engine: its schemas (attributes with their SCIM characteristics), the
idm scopes that let a caller read or change it, and five functions over SCIM JSON dicts.

The engine (listing, filter, patch, discovery, the web layer) knows nothing else about a type, so adding one
is one module that builds a `ResourceType` plus one entry in `mockidp.core.admin.RESOURCE_TYPES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockidp.core.admin.caller import Caller
    from mockidp.core.domain import IdentityDomain

Resource = dict[str, Any]

STRING, BOOLEAN, INTEGER, DECIMAL, DATETIME, REFERENCE, COMPLEX, BINARY = (
    "string",
    "boolean",
    "integer",
    "decimal",
    "dateTime",
    "reference",
    "complex",
    "binary",
)
READ_WRITE, READ_ONLY, IMMUTABLE, WRITE_ONLY = "readWrite", "readOnly", "immutable", "writeOnly"
ALWAYS, DEFAULT, REQUEST, NEVER = "always", "default", "request", "never"


@dataclass(frozen=True)
class Attribute:
    """One attribute of a schema with its RFC 7643 §7 characteristics."""

    name: str
    type: str = STRING
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = READ_WRITE
    returned: str = DEFAULT
    uniqueness: str = "none"
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    description: str = ""

    def sub(self, name: str) -> Attribute | None:
        wanted = name.lower()
        return next((a for a in self.sub_attributes if a.name.lower() == wanted), None)

    def to_scim(self) -> dict[str, Any]:
        """The attribute as `/admin/v1/Schemas` describes it."""
        doc: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description or self.name,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            doc["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            doc["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            doc["subAttributes"] = [a.to_scim() for a in self.sub_attributes]
        return doc


@dataclass(frozen=True)
class Schema:
    id: str  # the URN
    name: str
    description: str
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        wanted = name.lower()
        return next((a for a in self.attributes if a.name.lower() == wanted), None)


# The attributes every identity-domain resource carries (the OCI SDK's models have all of them).
def _ref(name: str, description: str) -> Attribute:
    return Attribute(
        name,
        COMPLEX,
        mutability=READ_ONLY,
        sub_attributes=(
            Attribute("value", mutability=READ_ONLY, case_exact=True),
            Attribute("ocid", mutability=READ_ONLY),
            Attribute("display", mutability=READ_ONLY),
            Attribute("type", mutability=READ_ONLY, canonical_values=("User", "App")),
            Attribute("$ref", REFERENCE, mutability=READ_ONLY),
        ),
        description=description,
    )


COMMON_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("id", mutability=READ_ONLY, returned=ALWAYS, uniqueness="global", case_exact=True),
    Attribute("ocid", mutability=READ_ONLY, returned=DEFAULT, uniqueness="global", case_exact=True),
    Attribute("schemas", multi_valued=True, required=True, returned=ALWAYS, case_exact=True),
    Attribute(
        "meta",
        COMPLEX,
        mutability=READ_ONLY,
        sub_attributes=(
            Attribute("resourceType", mutability=READ_ONLY, case_exact=True),
            Attribute("created", DATETIME, mutability=READ_ONLY),
            Attribute("lastModified", DATETIME, mutability=READ_ONLY),
            Attribute("location", REFERENCE, mutability=READ_ONLY, case_exact=True),
            Attribute("version", mutability=READ_ONLY, case_exact=True),
        ),
    ),
    _ref("idcsCreatedBy", "The User or App who created the Resource"),
    _ref("idcsLastModifiedBy", "The User or App who modified the Resource"),
    Attribute("idcsPreventedOperations", multi_valued=True, mutability=READ_ONLY, returned=REQUEST),
    Attribute("deleteInProgress", BOOLEAN, mutability=READ_ONLY),
    Attribute("domainOcid", mutability=READ_ONLY),
    Attribute("compartmentOcid", mutability=READ_ONLY),
    Attribute("tenancyOcid", mutability=READ_ONLY),
)


@dataclass(frozen=True)
class Operations:
    """The functions a resource type provides; missing ones make the method answer 405."""

    list: Callable[[IdentityDomain], list[Resource]] | None = None
    get: Callable[[IdentityDomain, str], Resource | None] | None = None
    create: Callable[[IdentityDomain, Resource, Caller], Resource] | None = None
    replace: Callable[[IdentityDomain, str, Resource, Caller], Resource] | None = None
    delete: Callable[[IdentityDomain, str, Caller], None] | None = None
    # Optional fast paths: an attribute (lower case) -> the resources whose value equals the given one.
    index: dict[str, Callable[[IdentityDomain, str], list[Resource]]] = field(default_factory=dict)
    # My* endpoints (MyApps): the calling user's own resources, listed instead of `list`.
    mine: Callable[[IdentityDomain, Caller], list[Resource]] | None = None

    @property
    def listable(self) -> bool:
        return self.list is not None or self.mine is not None


@dataclass(frozen=True)
class ResourceType:
    name: str  # "User": meta.resourceType, ResourceTypes' name
    endpoint: str  # "Users": the path segment under /admin/v1
    schema: Schema
    extensions: tuple[Schema, ...]
    operations: Operations
    read_scopes: frozenset[str]  # any one of these lets a caller read
    write_scopes: frozenset[str]  # any one of these lets a caller create, change, delete
    description: str = ""
    singleton: bool = False  # `Me`: the endpoint is the caller's own resource, there is no /{id}
    common: tuple[Attribute, ...] = COMMON_ATTRIBUTES

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.schema, *self.extensions)

    def extension(self, urn: str) -> Schema | None:
        wanted = urn.lower()
        return next((s for s in self.extensions if s.id.lower() == wanted), None)

    def attribute(self, name: str) -> Attribute | None:
        """A top-level attribute of the core schema (common ones included), case-insensitively."""
        return self.schema.attribute(name) or next((a for a in self.common if a.name.lower() == name.lower()), None)

    def resolve(self, path: str) -> tuple[str | None, Attribute | None, Attribute | None]:
        """`name.givenName` / `urn:…:User:isFederatedUser` / `emails.value` -> (extension URN or None, attribute,
        sub-attribute or None). Unknown names give None where the attribute would be."""
        urn = None
        lowered = path.lower()
        for extension in self.extensions:
            prefix = extension.id.lower() + ":"
            if lowered.startswith(prefix):
                urn, path = extension.id, path[len(prefix) :]
                break
        if urn is None and lowered.startswith(self.schema.id.lower() + ":"):
            path = path[len(self.schema.id) + 1 :]
        head, _, rest = path.partition(".")
        schema = self.extension(urn) if urn else None
        attribute = schema.attribute(head) if schema else self.attribute(head)
        if attribute is None or not rest:
            return urn, attribute, None
        return urn, attribute, attribute.sub(rest)
