"""Authorization-code flows started by the console's flow debugger.

The debugger runs a real code + PKCE flow in the browser for any client, with the console's own callback
(`/mockidp/console/callback`) as the redirect URI, which no client registers. [choice] That callback is
accepted only for a flow the debugger started through the control plane: `start` (a guarded control call)
records the flow's `state` with its client and exact callback URL, for `TTL` seconds of the domain clock, and
`check_target` in `core/authorize.py` lets the callback through only when the authorization request carries that
state, that client and that URL. Without the control plane nothing can start a flow, so nothing changes; a real
client's redirect URIs stay exactly matched, and the callback is a page of mockidp itself, never another site.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from mockidp.core.errors import ControlError
from mockidp.core.model import AUTHORIZATION_CODE

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

NS = "console_flows"
TTL = 600  # seconds to sign in and come back
MAX_FLOWS = 100  # started and not yet expired: bounded, so a loop calling start cannot grow memory
FIELDS = ("client_id", "scope")
DEFAULT_SCOPE = "openid profile email"


def start(domain: IdentityDomain, raw: Any, *, redirect_uri: str, authorize_url: str) -> dict[str, Any]:
    """A new flow for `{"client_id", "scope"?}`: its state, nonce, PKCE pair and the authorization URL to open.
    A confidential client's secret comes with it, for the browser's token request (the caller holds the
    control token, which can replace the client anyway)."""
    if not isinstance(raw, dict):
        raise ControlError(400, 'The body must be an object such as {"client_id": "…", "scope": "openid"}.')
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ControlError(400, f"{', '.join(unknown)}: unknown field; expected {', '.join(FIELDS)}.")
    client_id, scope = raw.get("client_id"), raw.get("scope", DEFAULT_SCOPE)
    if not isinstance(client_id, str) or not client_id:
        raise ControlError(400, "client_id: is required (the client whose flow to run).")
    if not isinstance(scope, str):
        raise ControlError(400, "scope: must be a string of space-separated scopes.")
    client = domain.client(client_id)
    if client is None:
        raise ControlError(400, f"client_id: there is no client {client_id!r} in this identity domain.")
    if AUTHORIZATION_CODE not in client.grant_types:
        raise ControlError(
            400,
            f"client_id: client {client_id} is not allowed the authorization_code grant; add it to its grant_types.",
        )
    if domain.store.count(NS) >= MAX_FLOWS:
        raise ControlError(409, f"{MAX_FLOWS} debugger flows are already under way; finish some or wait {TTL} s.")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    expires_at = domain.clock.now() + TTL
    domain.store.put(NS, state, {"client_id": client_id, "redirect_uri": redirect_uri}, expires_at=expires_at)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return {
        "client_id": client_id,
        "confidential": not client.is_public,
        "client_secret": client.client_secret,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_verifier": verifier,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "authorize_params": params,
        "authorize_url": f"{authorize_url}?{urlencode(params)}",
        "expires_at": expires_at,
    }


def allows(domain: IdentityDomain, client_id: str, redirect_uri: str, state: str | None) -> bool:
    """True when this authorization request belongs to a flow the debugger started (same state, client, URL)."""
    if not state:
        return False
    record = domain.store.get(NS, state)
    return (
        record is not None
        and hmac.compare_digest(record["client_id"].encode(), client_id.encode())
        and record["redirect_uri"] == redirect_uri
    )
