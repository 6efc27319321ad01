"""`urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): the device polls until the user decided."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockidp.core import device
from mockidp.core.claims import Grant, Session
from mockidp.core.errors import invalid_grant
from mockidp.core.grants.base import wants_refresh_token
from mockidp.core.model import DEVICE_CODE

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.grants.base import TokenRequest


def grant(domain: IdentityDomain, request: TokenRequest) -> Grant:
    client = request.client
    approved = device.poll(domain, request.require("device_code"), client)
    user = domain.user(approved.user or "")
    if user is None or approved.session is None:
        raise invalid_grant("The user who approved this device no longer exists.")
    scopes = domain.scopes.resolve(client, approved.scope, user)
    return Grant(
        client,
        scopes,
        DEVICE_CODE,
        user=user,
        session=Session.from_record(approved.session),
        refresh_token=wants_refresh_token(client, scopes),
    )
