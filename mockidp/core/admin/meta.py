"""`meta` of a resource (created, lastModified, location, resourceType, version) and its ETag.

Resources are built with locations and `$ref`s as paths (`/admin/v1/Users/<id>`): the core knows no URL.
`absolute` prefixes the base URL the client used, when a response is rendered.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

ADMIN = "/admin/v1/"


def timestamp(instant: float) -> str:
    """`2024-01-04T12:57:46.314Z`, the identity domain's format."""
    moment = datetime.datetime.fromtimestamp(instant, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def version_of(values: Any) -> str:
    """A version for content that has no revision of its own (fixture entries): a hash of it."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


def meta(resource_type: str, endpoint: str, resource_id: str, created: float, modified: float, version: str) -> dict:
    return {
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(modified),
        "location": f"{ADMIN}{endpoint}/{resource_id}",
        "version": version,
    }


def etag(resource: dict[str, Any]) -> str | None:
    version = (resource.get("meta") or {}).get("version")
    return f'W/"{version}"' if version else None


def matches_etag(resource: dict[str, Any], if_match: str | None) -> bool:
    """`If-Match` (RFC 7232 §3.1, weak comparison): absent or `*` always match."""
    if if_match is None or if_match.strip() == "*":
        return True
    current = (resource.get("meta") or {}).get("version")
    wanted = [tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")]
    return current in wanted


def absolute(value: Any, base: str) -> Any:
    """A copy of a resource (or list response) with its `/admin/v1/…` locations and `$ref`s made absolute."""
    if isinstance(value, dict):
        return {
            key: (
                base + item
                if key in ("location", "$ref") and isinstance(item, str) and item.startswith(ADMIN)
                else absolute(item, base)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [absolute(item, base) for item in value]
    return value
