"""The SCIM errors `/admin/v1` answers with (idcs-reference §6): `status` as a string, an RFC 7644 §3.12
`scimType` where one applies, and the Oracle `messageId`.

messageIds marked [doc] are quoted in the identity-domain REST guide; the others are [choice] (named in the
same `error.common.*` style; the real ids are not public).
"""

from __future__ import annotations

from mockidp.core.errors import ScimError, scim_unauthorized

__all__ = [
    "ScimError",
    "forbidden",
    "invalid_filter",
    "invalid_path",
    "invalid_syntax",
    "invalid_value",
    "missing_required",
    "mutability",
    "no_target",
    "not_found",
    "precondition_failed",
    "scim_unauthorized",
    "too_large",
    "unauthorized",
    "uniqueness",
]


def unauthorized(detail: str | None = None) -> ScimError:
    """401 [doc]: no credentials, or credentials this domain does not accept."""
    error = scim_unauthorized()
    if detail:
        error.detail = f"{error.detail} {detail}"
    return error


def forbidden(detail: str) -> ScimError:
    """403 [choice messageId]: authenticated, but the token's scopes do not allow the operation."""
    return ScimError(403, detail, "error.common.exception.insufficientScope")


def not_found(resource_type: str, resource_id: str) -> ScimError:
    """404 [choice messageId]: no resource of this type with this id."""
    return ScimError(
        404,
        f"Resource {resource_id} of type {resource_type} not found.",
        "error.common.common.resourceNotFound",
    )


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "error.common.common.invalidFilter", "invalidFilter")


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "error.common.validation.invalidValue", "invalidValue")


def missing_required(names: list[str]) -> ScimError:
    """400 [doc]: the text and messageId of the guide's validation example."""
    return ScimError(
        400,
        f"Missing required attribute(s): {','.join(names)}.",
        "error.common.validation.missingReqAttributes",
        "invalidValue",
    )


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "error.common.common.invalidSyntax", "invalidSyntax")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "error.common.common.invalidPath", "invalidPath")


def no_target(detail: str) -> ScimError:
    return ScimError(400, detail, "error.common.common.noTarget", "noTarget")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, "error.common.validation.mutability", "mutability")


def uniqueness(detail: str) -> ScimError:
    return ScimError(409, detail, "error.common.validation.uniqueness", "uniqueness")


def precondition_failed(detail: str) -> ScimError:
    return ScimError(412, detail, "error.common.common.versionMismatch")


def too_large(detail: str) -> ScimError:
    return ScimError(413, detail, "error.common.common.payloadTooLarge", "tooMany")


def method_not_allowed(detail: str, allowed: str) -> ScimError:
    return ScimError(405, detail, "error.common.common.methodNotAllowed", headers={"Allow": allowed})
