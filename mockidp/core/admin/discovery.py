"""The SCIM discovery documents (RFC 7644 §4), built from `RESOURCE_TYPES`: ServiceProviderConfig,
ResourceTypes and Schemas, each also by id (`/ResourceTypes/User`, `/Schemas/<urn>`)."""

from __future__ import annotations

from typing import Any

from mockidp.core.admin import errors
from mockidp.core.admin.listing import LIST_RESPONSE, MAX_COUNT
from mockidp.core.admin.resource import COMMON_ATTRIBUTES, ResourceType, Schema

CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


def _types() -> dict[str, ResourceType]:
    from mockidp.core.admin import RESOURCE_TYPES

    return RESOURCE_TYPES


def service_provider_config() -> dict[str, Any]:
    return {
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://docs.oracle.com/en/cloud/paas/iam-domains-rest-api/",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "An access token of this identity domain with urn:opc:idm:* scopes",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": True,
            },
            {
                "type": "httpsignature",
                "name": "OCI request signature",
                "description": "An OCI API-key signature (what the OCI SDKs and CLI send)",
                "specUri": "https://docs.oracle.com/en-us/iaas/Content/API/Concepts/signingrequests.htm",
            },
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/admin/v1/ServiceProviderConfig"},
    }


def resource_type_doc(resource_type: ResourceType) -> dict[str, Any]:
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": resource_type.name,
        "name": resource_type.name,
        "endpoint": f"/{resource_type.endpoint}",
        "description": resource_type.description or resource_type.name,
        "schema": resource_type.schema.id,
        "schemaExtensions": [{"schema": s.id, "required": False} for s in resource_type.extensions],
        "meta": {"resourceType": "ResourceType", "location": f"/admin/v1/ResourceTypes/{resource_type.name}"},
    }


def schema_doc(schema: Schema, resource_type: ResourceType) -> dict[str, Any]:
    attributes = list(schema.attributes)
    if schema is resource_type.schema:
        attributes = [*COMMON_ATTRIBUTES, *attributes]
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [a.to_scim() for a in attributes],
        "meta": {"resourceType": "Schema", "location": f"/admin/v1/Schemas/{schema.id}"},
    }


def _schemas() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource_type in _types().values():
        for schema in resource_type.schemas:
            found.setdefault(schema.id, schema_doc(schema, resource_type))
    return found


def _list(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "Resources": resources,
        "startIndex": 1,
        "itemsPerPage": len(resources),
    }


def document(name: str, item_id: str | None = None) -> dict[str, Any]:
    """`ServiceProviderConfig`, `ResourceTypes` or `Schemas`, or one resource type / schema by id."""
    if name == "ServiceProviderConfig":
        if item_id:
            raise errors.not_found("ServiceProviderConfig", item_id)
        return service_provider_config()
    if name == "ResourceTypes":
        docs = {t.name: resource_type_doc(t) for t in _types().values()}
    else:
        docs = _schemas()
    if item_id is None:
        return _list(list(docs.values()))
    found = docs.get(item_id) or next((d for k, d in docs.items() if k.lower() == item_id.lower()), None)
    if found is None:
        raise errors.not_found("ResourceType" if name == "ResourceTypes" else "Schema", item_id)
    return found
