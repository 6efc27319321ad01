"""The OpenAPI 3.1 description of the control plane, served at `/mockidp/v1/openapi.json`.

Written by hand from the same tables the code validates with (endpoints, named errors, defects, fixture
fields), so that it says what the server accepts; `tests/test_control_openapi.py` validates it and fuzzes the
server from it.
"""

from __future__ import annotations

from typing import Any

from mockidp import __version__
from mockidp.core import faults, forge
from mockidp.core.fixtures import BOOL, CLIENT_FIELDS, INT, RESOURCE_FIELDS, STR, STRS, USER_FIELDS, Field

JSON = "application/json"
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: Schema) -> Schema:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _answer(description: str, schema: Schema | None = None) -> Schema:
    answer: Schema = {"description": description}
    if schema is not None:
        answer["content"] = {JSON: {"schema": schema}}
    return answer


ERRORS = {
    "400": _answer("Refused: the message says what to fix", _ref("Error")),
    "401": _answer("The control token is missing or wrong", _ref("Error")),
}
NOT_FOUND = {"404": _answer("No such entry", _ref("Error"))}
CONFLICT = {"409": _answer("Not possible in the current state", _ref("Error"))}


def _op(summary: str, responses: Schema, *, body: Schema | None = None, params: list | None = None) -> Schema:
    operation: Schema = {"summary": summary, "responses": {**responses, **ERRORS}}
    if body is not None:
        operation["requestBody"] = _body(body)
    if params:
        operation["parameters"] = params
    return operation


def _path_param(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _query_param(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _fixture_schema(fields: dict[str, Field], id_key: str) -> Schema:
    """The schema of a fixture table ([[clients]], [[users]], [[resources]]); the id may be left out: the URL
    has it."""
    kinds = {
        STR: {"type": "string"},
        INT: {"type": "integer"},
        BOOL: {"type": "boolean"},
        STRS: {"type": "array", "items": {"type": "string"}},
    }
    properties = {name: kinds.get(spec.kind, {"type": "object"}) for name, spec in fields.items()}
    required = [name for name, spec in fields.items() if spec.required and name != id_key]
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _schemas() -> Schema:
    string_map = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "Error": {
            "type": "object",
            "required": ["error", "error_description"],
            "properties": {
                "error": {"type": "string"},
                "error_description": {"type": "string"},
                "problems": {"type": "array", "items": {"type": "string"}},
            },
        },
        "FaultRequest": {
            "type": "object",
            "description": "One of error, status (+ headers, body), drop, malformed; delay alone or before any.",
            "required": ["endpoint"],
            "additionalProperties": False,
            "properties": {
                "endpoint": {"enum": [*faults.ENDPOINTS, faults.ANY]},
                "match": {**string_map, "description": "request parameters (and client_id, user) to match"},
                "times": {"type": ["integer", "null"], "minimum": 1, "description": "null: every matching request"},
                "error": {"enum": list(faults.NAMED_ERRORS)},
                "error_description": {"type": "string"},
                "status": {"type": "integer", "minimum": 200, "maximum": 599},
                "headers": string_map,
                "body": {"description": "a string is sent as text/plain, anything else as JSON"},
                "delay": {"type": "number", "minimum": 0, "maximum": faults.MAX_DELAY},
                "drop": {"type": "boolean"},
                "malformed": {"type": "boolean"},
                "retry_after": {"type": "integer", "minimum": 0},
            },
        },
        "Fault": {
            "type": "object",
            "required": ["id", "endpoint", "match", "times", "remaining", "hits", "active"],
            "properties": {
                "id": {"type": "string"},
                "endpoint": {"type": "string"},
                "match": string_map,
                "times": {"type": ["integer", "null"]},
                "remaining": {"type": ["integer", "null"]},
                "hits": {"type": "integer"},
                "active": {"type": "boolean"},
            },
        },
        "ClockChange": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"enum": ["advance", "set", "freeze", "unfreeze", "reset"]},
                "seconds": {"type": "number", "description": "advance: seconds to move (negative goes back)"},
                "time": {
                    "type": ["number", "string"],
                    "description": "set / freeze: Unix seconds or ISO 8601 (2030-01-01T00:00:00Z)",
                },
            },
        },
        "Clock": {
            "type": "object",
            "required": ["now", "offset", "frozen", "iso"],
            "properties": {
                "now": {"type": "number"},
                "offset": {"type": "number"},
                "frozen": {"type": "boolean"},
                "iso": {"type": "string"},
            },
        },
        "Key": {
            "type": "object",
            "required": ["kid", "status"],
            "properties": {
                "kid": {"type": "string"},
                "status": {"enum": ["active", "next", "previous"]},
                "x5t": {"type": "string"},
                "created_at": {"type": ["number", "null"]},
                "source": {"enum": ["fixtures", "generated"]},
            },
        },
        "Keys": {
            "type": "object",
            "required": ["keys"],
            "properties": {
                "key": _ref("Key"),
                "keys": {"type": "array", "items": _ref("Key")},
                "retired": {
                    "type": "array",
                    "description": "keys retired since the last reset (the last 20), no longer published",
                    "items": {
                        "type": "object",
                        "properties": {"kid": {"type": "string"}, "retired_at": {"type": "number"}},
                    },
                },
            },
        },
        "TokenRequest": {
            "type": "object",
            "required": ["client_id"],
            "additionalProperties": False,
            "properties": {
                "kind": {"enum": [forge.ACCESS, forge.ID]},
                "client_id": {"type": "string"},
                "user": {"type": ["string", "null"]},
                "scope": {"type": ["string", "null"]},
                "claims": {"type": "object", "description": "claims to add or override"},
                "ttl": {"type": "integer", "minimum": 1, "maximum": forge.MAX_TTL},
                "defects": {
                    "type": "array",
                    "items": {
                        "anyOf": [{"enum": list(forge.DEFECTS)}, {"type": "string", "pattern": "^missing_claim:.+"}]
                    },
                },
            },
        },
        "Token": {
            "type": "object",
            "required": ["token", "header", "claims"],
            "properties": {
                "token": {"type": "string"},
                "header": {"type": "object"},
                "claims": {"type": "object"},
                "defects": {"type": "array", "items": {"type": "string"}},
            },
        },
        "JournalEntry": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "time": {"type": "number"},
                "method": {"type": "string"},
                "path": {"type": "string"},
                "endpoint": {"type": "string"},
                "grant_type": {"type": ["string", "null"]},
                "client_id": {"type": ["string", "null"]},
                "auth_method": {"type": ["string", "null"]},
                "pkce_method": {"type": ["string", "null"]},
                "scopes": {"type": "array", "items": {"type": "string"}},
                "user": {"type": ["string", "null"]},
                "authorization": {"type": ["string", "null"]},
                "params": string_map,
                "status": {"type": ["integer", "null"]},
                "error": {"type": ["string", "null"]},
                "reason": {"type": ["string", "null"]},
                "fault": {"type": ["string", "null"]},
                "body": {"description": "The JSON body of an /admin/v1 request, passwords and secrets redacted"},
                "duration_ms": {"type": ["number", "null"], "description": "time to answer, in milliseconds"},
            },
        },
        "TokenCheckRequest": {
            "type": "object",
            "required": ["token"],
            "additionalProperties": False,
            "properties": {
                "token": {"type": "string", "minLength": 1, "maxLength": 16384, "description": "the JWT to check"},
                "audience": {"type": "string", "description": "an aud the token must contain"},
            },
        },
        "TokenCheck": {
            "type": "object",
            "required": ["valid", "reason", "header", "claims", "checks", "now"],
            "properties": {
                "valid": {"type": "boolean", "description": "every check passed"},
                "reason": {"type": ["string", "null"], "description": "why the first failed check failed"},
                "header": {"type": ["object", "null"]},
                "claims": {"type": ["object", "null"], "description": "unverified when the signature failed"},
                "checks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "ok", "detail"],
                        "properties": {
                            "name": {
                                "enum": [
                                    "format",
                                    "signature",
                                    "tenant",
                                    "type",
                                    "issuer",
                                    "expiry",
                                    "not_before",
                                    "revocation",
                                    "audience",
                                ]
                            },
                            "ok": {"type": "boolean"},
                            "detail": {"type": "string"},
                        },
                    },
                },
                "now": {"type": "number", "description": "the domain clock's now, for times relative to it"},
            },
        },
        "FlowRequest": {
            "type": "object",
            "required": ["client_id"],
            "additionalProperties": False,
            "properties": {
                "client_id": {"type": "string", "description": "a client allowed the authorization_code grant"},
                "scope": {"type": "string", "default": "openid profile email"},
            },
        },
        "Flow": {
            "type": "object",
            "required": ["client_id", "redirect_uri", "state", "code_verifier", "authorize_url", "expires_at"],
            "properties": {
                "client_id": {"type": "string"},
                "confidential": {"type": "boolean"},
                "client_secret": {"type": ["string", "null"], "description": "for the browser's token request"},
                "redirect_uri": {"type": "string", "description": "the console's /mockidp/console/callback"},
                "scope": {"type": "string"},
                "state": {"type": "string"},
                "nonce": {"type": "string"},
                "code_verifier": {"type": "string"},
                "code_challenge": {"type": "string"},
                "code_challenge_method": {"const": "S256"},
                "authorize_params": string_map,
                "authorize_url": {"type": "string"},
                "expires_at": {"type": "number"},
            },
        },
        "Domain": {
            "type": "object",
            "required": ["tenant", "issuer", "url", "endpoints", "named_errors", "defects", "clock"],
            "properties": {
                "tenant": {"type": "string"},
                "issuer": {"type": "string"},
                "url": {"type": "string"},
                "discovery_url": {"type": "string"},
                "jwks_url": {"type": "string"},
                "fixtures": {"type": "string"},
                "access_token_ttl": {"type": "integer"},
                "refresh_token_ttl": {"type": "integer"},
                "code_ttl": {"type": "integer"},
                "session_ttl": {"type": "integer"},
                "quirks": {"type": "object", "description": "the client-quirk switches (client-compatibility.md)"},
                "endpoints": {"type": "array", "items": {"type": "string"}, "description": "where faults apply"},
                "journal_endpoints": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "what the journal names",
                },
                "named_errors": {"type": "array", "items": {"type": "string"}},
                "defects": {"type": "array", "items": {"type": "string"}},
                "clock": _ref("Clock"),
            },
        },
        "ClientInput": _fixture_schema(CLIENT_FIELDS, "client_id"),
        "UserInput": _fixture_schema(USER_FIELDS, "user_name"),
        "ResourceInput": _fixture_schema(RESOURCE_FIELDS, "audience"),
        "Client": {
            "type": "object",
            "required": ["client_id", "source"],
            "properties": {"client_id": {"type": "string"}},
        },
        "User": {
            "type": "object",
            "required": ["user_name", "source"],
            "properties": {"user_name": {"type": "string"}},
        },
        "Resource": {
            "type": "object",
            "required": ["audience", "source"],
            "properties": {"audience": {"type": "string"}, "resource": {"type": ["string", "null"]}},
        },
        "ClientMetadataListing": {
            "type": "object",
            "required": ["enabled", "documents"],
            "properties": {
                "enabled": {"type": "boolean"},
                "documents": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["url", "source"],
                        "properties": {
                            "url": {"type": "string"},
                            "source": {"enum": ["fixtures", "network"]},
                            "file": {"type": "string"},
                            "client_name": {"type": ["string", "null"]},
                            "fetched_at": {"type": "number"},
                            "expires_at": {"type": ["number", "null"]},
                            "document": {"type": "object"},
                        },
                    },
                },
            },
        },
    }


def _entity(kind: str, id_name: str, schema: str, description: str) -> tuple[Schema, Schema]:
    collection = {
        "get": _op(
            f"List the {kind}s (fixtures and run-time changes)",
            {
                "200": _answer(
                    f"The {kind}s",
                    {"type": "object", "properties": {f"{kind}s": {"type": "array", "items": _ref(schema)}}},
                )
            },
        )
    }
    item: Schema = {
        "parameters": [_path_param(id_name, description)],
        "put": _op(
            f"Add or replace a {kind}, checked exactly like fixtures",
            {"200": _answer("Replaced", _ref(schema)), "201": _answer("Added", _ref(schema)), **CONFLICT},
            body=_ref(f"{schema}Input"),
        ),
        "delete": _op(f"Remove a {kind}", {"204": _answer("Removed"), **NOT_FOUND, **CONFLICT}),
    }
    if kind != "resource":
        item["get"] = _op(f"One {kind}", {"200": _answer(f"The {kind}", _ref(schema)), **NOT_FOUND})
    return collection, item


def openapi_document(server_url: str = "/mockidp/v1") -> dict[str, Any]:
    users, user = _entity("user", "user_name", "User", "the user's user_name")
    clients, client = _entity("client", "client_id", "Client", "the client's client_id")
    resources, resource = _entity("resource", "audience", "Resource", "the resource's audience (URL-encoded)")
    keys = {"200": _answer("The published keys", _ref("Keys"))}
    paths = {
        "/faults": {
            "get": _op(
                "List faults (active and used up)",
                {
                    "200": _answer(
                        "The faults",
                        {"type": "object", "properties": {"faults": {"type": "array", "items": _ref("Fault")}}},
                    )
                },
            ),
            "post": _op("Queue a fault", {"201": _answer("Queued", _ref("Fault"))}, body=_ref("FaultRequest")),
            "delete": _op("Delete every fault", {"204": _answer("Deleted")}),
        },
        "/faults/{fault_id}": {
            "parameters": [_path_param("fault_id", "the id given when the fault was queued")],
            "get": _op("One fault, with how often it fired", {"200": _answer("The fault", _ref("Fault")), **NOT_FOUND}),
            "delete": _op("Delete one fault", {"204": _answer("Deleted"), **NOT_FOUND}),
        },
        "/clock": {
            "get": _op("The domain clock", {"200": _answer("The clock", _ref("Clock"))}),
            "post": _op(
                "Advance, set, freeze, unfreeze or reset the clock",
                {"200": _answer("The clock", _ref("Clock"))},
                body=_ref("ClockChange"),
            ),
        },
        "/keys": {"get": _op("The published signing keys", keys)},
        "/keys/rotate": {
            "post": _op(
                "Sign with a new key (the next one if published); the old stays published",
                {"201": _answer("Rotated", _ref("Keys"))},
            )
        },
        "/keys/next": {
            "post": _op("Publish the next key ahead of use", {"201": _answer("Published", _ref("Keys")), **CONFLICT})
        },
        "/keys/{kid}": {
            "parameters": [_path_param("kid", "the key id")],
            "delete": _op("Retire a key: tokens it signed stop verifying", {**keys, **NOT_FOUND, **CONFLICT}),
        },
        "/tokens": {
            "post": _op(
                "Mint a token, optionally defective",
                {"201": _answer("The token", _ref("Token"))},
                body=_ref("TokenRequest"),
            )
        },
        "/tokens/check": {
            "post": _op(
                "Check a token against this domain: signature and kid, tenant, issuer, expiry, not-before, "
                "revocation, audience (when given); each check with its reason",
                {"200": _answer("The verdict", _ref("TokenCheck"))},
                body=_ref("TokenCheckRequest"),
            )
        },
        "/console/flows": {
            "post": _op(
                "Start a flow of the console's debugger: code + PKCE for any client, with the console's callback "
                "as redirect URI (accepted for this flow's state only, for 10 minutes)",
                {"201": _answer("Started", _ref("Flow")), **CONFLICT},
                body=_ref("FlowRequest"),
            )
        },
        "/domain": {"get": _op("The domain at a glance", {"200": _answer("The domain", _ref("Domain"))})},
        "/requests": {
            "get": _op(
                "The request journal, oldest first",
                {
                    "200": _answer(
                        "Requests",
                        {
                            "type": "object",
                            "properties": {
                                "requests": {"type": "array", "items": _ref("JournalEntry")},
                                "last_id": {"type": "integer", "description": "the newest entry's id; 0 when empty"},
                            },
                        },
                    )
                },
                params=[
                    _query_param(
                        "endpoint", {"enum": [*faults.ENDPOINTS, "client_metadata", "other"]}, "only this endpoint"
                    ),
                    _query_param("client_id", {"type": "string"}, "only this client"),
                    _query_param(
                        "status",
                        {"type": "string", "pattern": "^([1-5](xx|[0-9][0-9])|dropped)$"},
                        "only this status (401), class (4xx) or dropped connections",
                    ),
                    _query_param("after", {"type": "integer", "minimum": 0}, "only entries after this id (a cursor)"),
                    _query_param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "only the last N"),
                ],
            ),
            "delete": _op("Clear the journal", {"204": _answer("Cleared")}),
        },
        "/users": users,
        "/users/{user_name}": user,
        "/clients": clients,
        "/clients/{client_id}": client,
        "/resources": resources,
        "/resources/{audience}": resource,
        "/reload": {
            "post": _op(
                "Read the fixture directory again; a bad edit keeps the previous fixtures (409, with every problem)",
                {
                    "200": _answer(
                        "Reloaded",
                        {
                            "type": "object",
                            "required": ["reloaded", "tenant"],
                            "properties": {
                                "reloaded": {"type": "string", "description": "the fixture directory"},
                                "tenant": {"type": "string"},
                                "clients": {"type": "integer"},
                                "users": {"type": "integer"},
                                "resources": {"type": "integer"},
                            },
                        },
                    ),
                    **CONFLICT,
                },
            )
        },
        "/client-metadata": {
            "get": _op(
                "Client ID Metadata Documents: those served from fixtures and those fetched and still cached",
                {"200": _answer("The documents", _ref("ClientMetadataListing"))},
            ),
            "delete": _op("Forget the fetched documents: the next use fetches again", {"204": _answer("Forgotten")}),
        },
        "/reset": {
            "post": _op(
                "Back to the fixtures: state, clock, keys, faults, journal, run-time entries", {"204": _answer("Reset")}
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockidp control plane",
            "version": __version__,
            "description": "Make the identity domain misbehave on purpose and see what clients sent.",
        },
        "servers": [{"url": server_url}],
        "security": [{}, {"controlToken": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"controlToken": {"type": "http", "scheme": "bearer", "description": "--control-token"}},
        },
    }
