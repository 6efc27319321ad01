"""Faults: misbehaviour a test queues for the next N (or all) requests that match an endpoint and parameters.

A fault is one of
- a named IDCS error (`invalid_grant`, `rate_limited`, `temporarily_unavailable`, …) in the body the real
  service uses, with its status;
- an arbitrary status with headers and a body;
- a dropped connection (closed with no answer) or a malformed body (a 200 whose JSON is cut short);
- a delay, alone (then the real answer comes) or before any of the above.

Faults are JSON records in the store, applied in the order they were queued; a used-up fault moves to a
second namespace so that a test can still read how often it fired, and the request path stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockidp.core.errors import ControlError
from mockidp.core.stores.contract import Record, Store

ACTIVE_NS, SPENT_NS, COUNTER_NS = "faults", "faults_spent", "counters"
ANY = "any"

# The endpoints faults apply at and the journal names, by path below the domain root.
ENDPOINT_PATHS = {
    "/oauth2/v1/authorize": "authorize",
    "/oauth2/v1/token": "token",
    "/oauth2/v1/userinfo": "userinfo",
    "/oauth2/v1/introspect": "introspect",
    "/oauth2/v1/revoke": "revoke",
    "/oauth2/v1/device": "device",
    "/oauth2/v1/userlogout": "logout",
    "/admin/v1/SigningCert/jwk": "jwks",
    "/.well-known/openid-configuration": "discovery",
    "/.well-known/oauth-authorization-server": "discovery",
    "/.well-known/idcs-configuration": "discovery",
    "/ui/v1/signin": "signin",  # the sign-in page (HTML)
    "/ui/v1/device": "verification",  # the device verification page (HTML)
}
ADMIN_PREFIX, ADMIN = "/admin/v1/", "admin"  # every other /admin/v1/… path: the SCIM admin API
ENDPOINTS = (*dict.fromkeys(ENDPOINT_PATHS.values()), ADMIN)


def endpoint_of(path: str) -> str | None:
    """The endpoint name of a path (as faults and the journal name them), None for a path of no endpoint."""
    found = ENDPOINT_PATHS.get(path)
    if found is None and path.startswith(ADMIN_PREFIX):
        return ADMIN
    return found


@dataclass(frozen=True)
class NamedError:
    error: str  # the `error` member of the body
    status: int
    description: str
    retry_after: int | None = None


# Bodies are the IDCS shape {"error", "error_description", "ecid"}; texts the real service is seen to use are
# kept ("Client authentication failed.", "Client authorization failed."); the rest are [choice].
NAMED_ERRORS: dict[str, NamedError] = {
    "invalid_request": NamedError("invalid_request", 400, "The request is missing a parameter or is malformed."),
    "invalid_client": NamedError("invalid_client", 401, "Client authentication failed."),
    "invalid_grant": NamedError("invalid_grant", 400, "The grant is invalid, expired or revoked."),
    "unauthorized_client": NamedError("unauthorized_client", 400, "Client authorization failed."),
    "unsupported_grant_type": NamedError("unsupported_grant_type", 400, "The grant type is not supported."),
    "invalid_scope": NamedError("invalid_scope", 400, "The requested scope is invalid."),
    "access_denied": NamedError("access_denied", 400, "The request was denied."),
    "login_required": NamedError("login_required", 400, "The user must sign in."),
    "consent_required": NamedError("consent_required", 400, "The user must consent."),
    "interaction_required": NamedError("interaction_required", 400, "The user must interact with the sign-in page."),
    "invalid_token": NamedError("invalid_token", 401, "The access token is invalid."),
    "insufficient_scope": NamedError("insufficient_scope", 403, "The access token lacks the scope required."),
    "authorization_pending": NamedError("authorization_pending", 400, "The user has not yet approved the device."),
    "slow_down": NamedError("slow_down", 400, "The client polls too often; wait longer between requests."),
    "expired_token": NamedError("expired_token", 400, "The device code has expired."),
    "server_error": NamedError("server_error", 500, "The identity domain had an unexpected error."),
    "temporarily_unavailable": NamedError(
        "temporarily_unavailable", 503, "The identity domain is temporarily unavailable. Try again later."
    ),
    # [choice] `unavailable`: the same 503 under a plainer name.
    "unavailable": NamedError(
        "temporarily_unavailable", 503, "The identity domain is temporarily unavailable. Try again later."
    ),
    # [choice] The real 429 body is not documented: the IDCS shape with `too_many_requests`, and Retry-After.
    "rate_limited": NamedError("too_many_requests", 429, "Too many requests. Try again later.", retry_after=30),
}

MAX_DELAY = 600.0
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_FIELDS = (
    "endpoint",
    "match",
    "times",
    "error",
    "error_description",
    "status",
    "headers",
    "body",
    "delay",
    "drop",
    "malformed",
    "retry_after",
)


def parse(raw: Any) -> Record:
    """Check a fault as a test sent it; returns the record to store, or raises ControlError with every problem."""
    if not isinstance(raw, dict):
        raise ControlError(
            400, 'A fault must be a JSON object such as {"endpoint": "token", "error": "invalid_grant"}.'
        )
    problems = [f"{key}: unknown field; expected one of {', '.join(_FIELDS)}" for key in raw if key not in _FIELDS]
    endpoint = raw.get("endpoint")
    if endpoint not in (*ENDPOINTS, ANY):
        problems.append(f"endpoint: must be one of {', '.join(ENDPOINTS)} or {ANY}, got {endpoint!r}")
    match = raw.get("match", {})
    if not isinstance(match, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in match.items()):
        problems.append(
            'match: must be an object of parameter names to string values, e.g. {"grant_type": "refresh_token"}'
        )
    times = raw.get("times", 1)
    if times is not None and (not _is_int(times) or times < 1):
        problems.append(
            f"times: must be a whole number of at least 1, or null for every matching request, got {times!r}"
        )

    error, status, body = raw.get("error"), raw.get("status"), raw.get("body")
    drop, malformed = raw.get("drop", False), raw.get("malformed", False)
    for name, value in (("drop", drop), ("malformed", malformed)):
        if not isinstance(value, bool):
            problems.append(f"{name}: must be true or false, got {value!r}")
    if error is not None and (not isinstance(error, str) or error not in NAMED_ERRORS):
        problems.append(f"error: unknown error {error!r}; known: {', '.join(NAMED_ERRORS)}")
    if status is not None and (not _is_int(status) or not 200 <= status <= 599):
        problems.append(f"status: must be an HTTP status from 200 to 599, got {status!r}")
    if "body" in raw and error is not None:
        problems.append("body: an error fault has the IDCS error body; give error_description, or leave out error")
    if "body" in raw and status is None:
        problems.append("body: give the status to answer with as well")
    description = raw.get("error_description")
    if description is not None and (not isinstance(description, str) or error is None):
        problems.append("error_description: must be a string, and goes with error")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(_header_ok(k, v) for k, v in headers.items()):
        problems.append("headers: must be an object of header names to values (no line breaks)")
    delay = raw.get("delay")
    if delay is not None and (
        not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY
    ):
        problems.append(f"delay: must be a number of seconds from 0 to {MAX_DELAY:g}, got {delay!r}")
    retry_after = raw.get("retry_after")
    if retry_after is not None and (not _is_int(retry_after) or retry_after < 0):
        problems.append(f"retry_after: must be a whole number of seconds, got {retry_after!r}")

    answers = [
        name
        for name, given in (
            ("error", error is not None),
            ("status", status is not None and error is None),
            ("drop", drop is True),
            ("malformed", malformed is True),
        )
        if given
    ]
    if len(answers) > 1:
        problems.append(f"give one of error, status, drop, malformed (got {', '.join(answers)})")
    if not answers and delay is None:
        problems.append("say what goes wrong: error, status (+ headers, body), drop, malformed, or delay")
    if (drop is True) and (headers or retry_after is not None):
        problems.append("a dropped connection sends no headers")
    if problems:
        raise ControlError(400, f"The fault was refused: {problems[0]}", problems)
    return {
        "endpoint": endpoint,
        "match": dict(match),
        "times": times,
        "remaining": times,
        "hits": 0,
        "error": error,
        "error_description": description,
        "status": status,
        "headers": dict(headers),
        "body": body,
        "has_body": "body" in raw,
        "delay": float(delay) if delay is not None else None,
        "drop": drop,
        "malformed": malformed,
        "retry_after": retry_after,
    }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _header_ok(name: Any, value: Any) -> bool:
    return (
        isinstance(name, str)
        and isinstance(value, str)
        and bool(_HEADER_NAME.match(name))
        and not set(value) & {"\r", "\n", "\0"}
    )


# ---------------------------------------------------------------------------------------------- the queue


def add(store: Store, raw: Any) -> Record:
    checked = parse(raw)
    number = next_number(store, "fault")
    record = {"id": f"fault-{number}", **checked, "order": number}
    store.put(ACTIVE_NS, record["id"], record)
    return record


def next_number(store: Store, name: str) -> int:
    return store.incr(COUNTER_NS, name)


def queued(store: Store) -> list[Record]:
    """Active faults in the order they were queued (the request path's first and, usually, only look)."""
    items = store.items(ACTIVE_NS)
    if not items:
        return []
    live = (record for _, record in items if record["remaining"] != 0)  # 0: being moved aside
    return sorted(live, key=lambda record: record["order"])


def listing(store: Store) -> list[Record]:
    """Every fault, active and used up, oldest first, with how often each fired."""
    records = {key: record for key, record in (*store.items(ACTIVE_NS), *store.items(SPENT_NS))}  # spent wins
    return [public(record) for record in sorted(records.values(), key=lambda record: record["order"])]


def get(store: Store, fault_id: str) -> Record:
    record = store.get(ACTIVE_NS, fault_id) or store.get(SPENT_NS, fault_id)
    if record is None:
        raise ControlError(404, f"There is no fault {fault_id!r}.")
    return public(record)


def delete(store: Store, fault_id: str) -> None:
    if not (store.delete(ACTIVE_NS, fault_id) | store.delete(SPENT_NS, fault_id)):
        raise ControlError(404, f"There is no fault {fault_id!r}.")


def clear(store: Store) -> None:
    store.clear(ACTIVE_NS)
    store.clear(SPENT_NS)


def public(record: Record) -> Record:
    shown = {key: value for key, value in record.items() if key not in ("order", "has_body", "spent")}
    if not record["has_body"]:
        shown.pop("body")
    shown["active"] = record["remaining"] is None or record["remaining"] > 0
    return shown


def needs_params(candidates: list[Record], endpoint: str) -> bool:
    return any(record["match"] for record in candidates if record["endpoint"] in (endpoint, ANY))


def take(store: Store, candidates: list[Record], endpoint: str, values: Mapping[str, str]) -> Record | None:
    """The first queued fault for this request, counted as fired (and moved aside once used up).

    Counting is one atomic `update`, so a fault for N requests fires N times in total however many processes
    share the store: each firing is stamped with this call's nonce, which tells whether this call fired it."""
    for record in candidates:
        if record["endpoint"] not in (endpoint, ANY):
            continue
        if any(values.get(name) != wanted for name, wanted in record["match"].items()):
            continue
        fired = store.update(ACTIVE_NS, record["id"], _fire)  # one atomic step: N requests fire it N times
        if fired is None or fired.get("spent"):  # used up by other requests meanwhile (or cleared)
            continue
        if fired["remaining"] == 0:  # this request used it up: set it aside, so the request path stays cheap
            store.put(SPENT_NS, record["id"], fired)
            store.delete(ACTIVE_NS, record["id"])
        return fired
    return None


def _fire(current: Record | None) -> Record | None:
    if current is None:
        return None
    if current["remaining"] == 0:  # spent, and not yet set aside: leave it (and tell the caller)
        return {**current, "spent": True}
    fired = {**current, "hits": current["hits"] + 1}
    if fired["remaining"] is not None:
        fired["remaining"] -= 1
    return fired
