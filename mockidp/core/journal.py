"""The request journal: what clients sent to the domain and what they got back, for tests to assert on.

One entry per request to the identity-domain endpoints (not the control plane): endpoint, grant type, client id,
the client-authentication method the request used, the PKCE method, scopes, user, status, error, the precise
reason and how long the answer took (`duration_ms`). Secrets (client secrets, passwords, PKCE verifiers) are
never kept; tokens, codes and assertions are kept only as their last characters, so a test can tell them apart
without the journal holding a usable one.
Entries live in the store, the last `LIMIT` of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jwt

from mockidp.core.client_auth import NONE, SECRET_BASIC, SECRET_POST, parse_basic
from mockidp.core.errors import OAuthError
from mockidp.core.stores.contract import Record, Store

NS = "journal"
LIMIT = 1000
PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_AUTH_ENDPOINTS = frozenset({"token", "introspect", "revoke", "device"})

SECRET_PARAMS = frozenset({"client_secret", "password", "code_verifier", "csrf_token"})
TOKEN_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token_hint",
        "token",
        "code",
        "device_code",
        "assertion",
        "client_assertion",
        "subject_token",
        "actor_token",
    }
)
# Bounds of one entry, so the journal is bounded in bytes as well as in entries (LIMIT x ~25 KB at the most):
MAX_VALUE = 200  # characters of a parameter value, name, client id, user…
MAX_ITEMS = 50  # parameters and scopes kept
MAX_REASON = 1000  # characters of the reason
REDACTED = "[redacted]"
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")  # three base64url parts, as in a JWS


def redact(name: str, value: str) -> str:
    if name in SECRET_PARAMS:
        return REDACTED
    if name in TOKEN_PARAMS or (len(value) > 40 and JWT_SHAPE.fullmatch(value)):  # a JWT under any name
        return f"[redacted …{value[-6:]}]" if len(value) >= 24 else REDACTED
    return value if len(value) <= MAX_VALUE else value[:MAX_VALUE] + "…"


def entry(
    *,
    time: float,
    method: str,
    path: str,
    endpoint: str,
    params: Mapping[str, str],
    authorization: str | None,
    status: int | None,
    outcome: Mapping[str, Any] | None,
    fault: str | None = None,
    authenticated_client: str | None = None,
    body: Any = None,
    duration_ms: float | None = None,
) -> Record:
    """A journal entry for one request (no HTTP here: the web layer passes what it read). `status` is None
    when the connection was dropped on purpose. `authenticated_client`, when the domain already knows it,
    saves working the client out of the request again."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    scheme = scheme.lower()
    bearer_claims = _unverified(credentials.strip()) if scheme == "bearer" else {}
    clipped: list[str] = []
    scopes = params.get("scope", "").split() if params.get("scope") else []
    if len(scopes) > MAX_ITEMS:
        clipped.append(f"scopes: {len(scopes)} kept as {MAX_ITEMS}")
        scopes = scopes[:MAX_ITEMS]
    if len(params) > MAX_ITEMS:
        clipped.append(f"params: {len(params)} kept as {MAX_ITEMS}")
    kept = dict(list(params.items())[:MAX_ITEMS])
    record: Record = {
        "time": time,
        "method": method,
        "path": _clip(path, MAX_VALUE, "path", clipped),
        "endpoint": endpoint,
        "grant_type": _clip(params.get("grant_type"), MAX_VALUE, "grant_type", clipped),
        "client_id": _clip(
            authenticated_client or _client_id(params, scheme, authorization, bearer_claims),
            MAX_VALUE,
            "client_id",
            clipped,
        ),
        "auth_method": _auth_method(endpoint, params, scheme),
        "pkce_method": _clip(_pkce_method(params), MAX_VALUE, "pkce_method", clipped),
        "scopes": [_clip(scope, MAX_VALUE, "scopes", clipped) for scope in scopes],
        "user": _clip(
            params.get("username") or params.get("login_hint") or bearer_claims.get("sub"), MAX_VALUE, "user", clipped
        ),
        "authorization": _clip(scheme.capitalize(), MAX_VALUE, "authorization", clipped) if scheme else None,
        "params": {_clip(name, MAX_VALUE, "params", clipped): redact(name, value) for name, value in kept.items()},
        "status": status,
        "error": _clip(outcome.get("error") if outcome else None, MAX_VALUE, "error", clipped),
        "reason": _clip(outcome.get("reason") if outcome else None, MAX_REASON, "reason", clipped),
        "fault": fault,
        "duration_ms": duration_ms,
    }
    if body is not None:  # the JSON body of an admin-API request, passwords and secrets redacted
        record["body"] = redact_json(body)
    if clipped or any(len(value) > MAX_VALUE for value in kept.values()):
        # Say what was cut, so a test that looks for a long value knows why it is not there whole.
        record["truncated"] = list(dict.fromkeys(clipped)) or ["params: values over 200 characters cut"]
    return record


MAX_JSON_ITEMS = 100


def redact_json(value: Any, name: str = "") -> Any:
    """A JSON value fit for the journal: secrets (`password`, any `*secret*`) redacted, strings and lists cut."""
    lowered = name.lower()
    if lowered == "password" or "secret" in lowered or lowered in SECRET_PARAMS:
        return REDACTED
    if isinstance(value, dict):
        return {key: redact_json(item, str(key)) for key, item in list(value.items())[:MAX_JSON_ITEMS]}
    if isinstance(value, list):
        return [redact_json(item, name) for item in value[:MAX_JSON_ITEMS]]
    if isinstance(value, str):
        return redact(name, value)
    return value


def _clip(value: Any, limit: int, what: str, clipped: list[str]) -> Any:
    if isinstance(value, str) and len(value) > limit:
        clipped.append(f"{what}: cut at {limit} characters")
        return value[:limit] + "…"
    return value


def _unverified(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _client_id(params: Mapping[str, str], scheme: str, authorization: str | None, bearer: dict) -> str | None:
    if params.get("client_id"):
        return params["client_id"]
    if scheme == "basic" and authorization:
        try:
            return parse_basic(authorization)[0]
        except OAuthError:
            return None
    if params.get("client_assertion"):
        claims = _unverified(params["client_assertion"])
        return str(claims.get("iss") or claims.get("sub") or "") or None
    client_id = bearer.get("client_id")
    return str(client_id) if client_id else None


def _auth_method(endpoint: str, params: Mapping[str, str], scheme: str) -> str | None:
    """The client-authentication method the request used (what it sent, whether or not it was right)."""
    if endpoint not in CLIENT_AUTH_ENDPOINTS:
        return None
    if "client_assertion" in params:
        return PRIVATE_KEY_JWT
    if scheme == "basic":
        return SECRET_BASIC
    if params.get("client_secret"):
        return SECRET_POST
    return NONE if "client_id" in params else None


def _pkce_method(params: Mapping[str, str]) -> str | None:
    """At authorize: the code_challenge_method (RFC 7636: plain when a challenge comes without one)."""
    if "code_challenge" not in params:
        return None
    return params.get("code_challenge_method") or "plain"


# ---------------------------------------------------------------------------------------------- the store


def record(store: Store, item: Record, limit: int = LIMIT) -> None:
    """One store call (`append`: numbered, the oldest beyond `limit` dropped), since every request makes one."""
    store.append(NS, item, limit=limit)


def entries(
    store: Store,
    *,
    endpoint: str | None = None,
    client_id: str | None = None,
    status: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Record]:
    """Entries oldest first, optionally only one endpoint's, one client's, one status (`400`, a class `4xx`,
    or `dropped`), only those after an entry id (a cursor for polling), and only the last `limit`."""
    found = [
        item
        for item in ({"id": int(key), **item} for key, item in sorted(store.items(NS)))
        if (endpoint is None or item["endpoint"] == endpoint)
        and (client_id is None or item["client_id"] == client_id)
        and (after is None or item["id"] > after)
        and (status is None or status_matches(item["status"], status))
    ]
    return found[-limit:] if limit else found


STATUS_FILTER = re.compile(r"[1-5](xx|\d\d)|dropped")


def status_matches(status: int | None, wanted: str) -> bool:
    """`wanted` is a status (`401`), a class (`4xx`) or `dropped` (no answer: a fault closed the connection)."""
    if wanted == "dropped":
        return status is None
    if status is None:
        return False
    return str(status)[0] == wanted[0] if wanted.endswith("xx") else str(status) == wanted


def last_id(store: Store) -> int:
    """The id of the newest entry, 0 when the journal is empty (a poller that is ahead of it was reset)."""
    keys = [key for key, _ in store.items(NS)]
    return int(max(keys)) if keys else 0


def clear(store: Store) -> None:
    store.clear(NS)
