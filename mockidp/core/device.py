"""The device authorization grant (RFC 8628) as the identity domain offers it (idcs-reference §5).

`POST /oauth2/v1/device` (`response_type=device_code&scope=…&client_id=…`) starts one: the device shows the
user code and the verification URI (`/ui/v1/device`); the user enters the code there, signs in and approves or
denies; meanwhile the device polls the token endpoint, which answers `authorization_pending`, `slow_down`
(polled faster than `interval`), `access_denied`, `expired_token`, then the tokens, once.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core.client_auth import authenticate_client
from mockidp.core.errors import OAuthError, invalid_grant, invalid_request, unauthorized_client
from mockidp.core.model import DEVICE_CODE, Client
from mockidp.core.stores.contract import GRACE

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain, Urls
    from mockidp.core.sessions import ActiveSession

NS = "device_codes"
BY_USER_CODE = "device_user_codes"
VERIFICATION_PATH = "/ui/v1/device"
EXPIRES_IN = 300  # [seen] in the reference's sample answer
INTERVAL = 5  # RFC 8628 §3.2 default
SLOW_DOWN_STEP = 5  # RFC 8628 §3.5: "the interval MUST be increased by 5 seconds"
# RFC 8628 §6.1: no vowels (no words), no look-alikes; 20^8 codes. The reference's sample is "SDFGHJKL".
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8

PENDING, APPROVED, DENIED = "pending", "approved", "denied"


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: int
    csrf: str  # for the approve/deny form of the verification page
    status: str = PENDING
    last_poll: float | None = None
    user: str | None = None
    session: dict[str, Any] | None = None


class UserCodeRejected(Exception):
    """A user code typed on the verification page cannot be used; the message is for the user."""


def start(domain: IdentityDomain, urls: Urls, params: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
    """`POST /oauth2/v1/device`: the device authorization response."""
    client, _ = authenticate_client(domain, urls, params, authorization)
    response_type = params.get("response_type")
    if response_type is not None and response_type != "device_code":
        # [choice] IDCS clients send response_type=device_code; RFC 8628 clients send none. Both work.
        raise invalid_request(f"The response_type must be device_code, not {response_type!r}.")
    if DEVICE_CODE not in client.grant_types:
        raise unauthorized_client(
            f"client {client.client_id} is not allowed grant type {DEVICE_CODE!r}; add it to its grant_types"
        )
    scopes = domain.scopes.resolve(client, params.get("scope"), resource=params.get("resource"))
    device_code, expires_at = secrets.token_urlsafe(32), domain.clock.now() + EXPIRES_IN
    user_code = _new_user_code()
    while not domain.store.add(BY_USER_CODE, user_code, {"device_code": device_code}, expires_at=expires_at + GRACE):
        user_code = _new_user_code()  # taken by a pending authorization: draw again (atomic, so never shared)
    record = DeviceAuthorization(
        device_code=device_code,
        user_code=user_code,
        client_id=client.client_id,
        scope=" ".join(scopes.items),
        expires_at=expires_at,
        interval=INTERVAL,
        csrf=secrets.token_urlsafe(24),
    )
    _save(domain, record)
    return {
        "expires_in": EXPIRES_IN,
        "device_code": record.device_code,
        "user_code": record.user_code,
        "verification_uri": urls.base + VERIFICATION_PATH,
        "interval": INTERVAL,
    }


def normalize_user_code(typed: str) -> str:
    """What the user typed, as stored: upper case, without the spaces and dashes people add."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def lookup(domain: IdentityDomain, typed: str) -> DeviceAuthorization:
    """The pending device authorization a user code names, or `UserCodeRejected` saying why not."""
    user_code = normalize_user_code(typed)
    if not user_code:
        raise UserCodeRejected("Enter the code shown on your device.")
    link = domain.store.get(BY_USER_CODE, user_code)
    record = _load(domain, link["device_code"]) if link else None
    if record is None:
        raise UserCodeRejected(f"The code {user_code} is not valid. Check the code shown on your device.")
    if record.expires_at <= domain.clock.now():
        raise UserCodeRejected(f"The code {user_code} has expired. Start again on your device.")
    if record.status != PENDING:
        raise UserCodeRejected(f"The code {user_code} has already been used.")
    return record


def decide(domain: IdentityDomain, record: DeviceAuthorization, session: ActiveSession | None, approve: bool) -> None:
    """The user approved (as the session's user) or denied the device."""
    if approve:
        assert session is not None, "approving needs a signed-in user"
        _change(domain, record, status=APPROVED, user=session.user.user_name, session=session.session.to_record())
    else:
        _change(domain, record, status=DENIED)
    domain.store.delete(BY_USER_CODE, record.user_code)


def poll(domain: IdentityDomain, device_code: str, client: Client) -> DeviceAuthorization:
    """The token endpoint polling a device code: the approved authorization (used up), or the RFC 8628 error."""
    record = _load(domain, device_code)
    if record is None:
        raise invalid_grant("The device_code is invalid or has already been used.")
    if record.client_id != client.client_id:
        raise invalid_grant("The device_code was issued to another client.")
    now = domain.clock.now()
    if record.expires_at <= now:
        raise OAuthError("expired_token", "The device_code has expired; start a new device authorization.")
    if record.last_poll is not None and now - record.last_poll < record.interval:
        interval = record.interval + SLOW_DOWN_STEP
        _change(domain, record, last_poll=now, interval=interval)
        raise OAuthError("slow_down", f"Polling too fast; wait at least {interval} seconds between requests.")
    if record.status == APPROVED:
        if domain.store.take(NS, device_code) is None:  # another poll took it first: tokens are issued once
            raise invalid_grant("The device_code is invalid or has already been used.")
        return record
    _change(domain, record, last_poll=now)
    if record.status == DENIED:
        raise OAuthError("access_denied", "The user denied the authorization request.")
    raise OAuthError("authorization_pending", "The user has not yet approved the authorization request.")


def _new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def _save(domain: IdentityDomain, record: DeviceAuthorization) -> None:
    domain.store.put(NS, record.device_code, asdict(record), expires_at=record.expires_at + GRACE)


def _change(domain: IdentityDomain, record: DeviceAuthorization, **fields: Any) -> None:
    """Change some fields of a stored authorization in one atomic step, so that a poll and the user's decision
    arriving at once cannot undo each other."""
    domain.store.update(NS, record.device_code, lambda current: {**current, **fields} if current else None)


def _load(domain: IdentityDomain, device_code: str) -> DeviceAuthorization | None:
    stored = domain.store.get(NS, device_code)
    return DeviceAuthorization(**stored) if stored is not None else None
