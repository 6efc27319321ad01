"""Signing a user in: checking a password, and the sign-ins in progress between the sign-in page's GET and POST.

A sign-in in progress ("pending") remembers what to do once the user is known: finish an authorization request,
or go back to the device verification page. It is kept in the store under an unguessable id that the sign-in
page's URL carries, with a second secret, the CSRF token, that only the page's form carries: a form posted
from another site cannot know it, and an id leaked through a URL (history, logs) is not enough to use it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockidp.core import runtime
from mockidp.core.client_auth import secrets_match
from mockidp.core.errors import ErrorPage
from mockidp.core.model import User
from mockidp.core.stores.contract import GRACE

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

NS = "signins"
PENDING_TTL = 900  # [choice] a sign-in page left open longer than 15 minutes must be started again
WRONG_CREDENTIALS = "The user name or password is incorrect."
# [choice] The real text is not public; said only to someone who gave the right password.
DEACTIVATED = "This user account is deactivated. Ask an administrator of the identity domain to activate it."


class WrongCredentials(Exception):
    """The user name or password is wrong; the message says which, for the log only."""


class UserDeactivated(WrongCredentials):
    """The password is right but the user is not `active` (deactivated through the admin API or fixtures)."""


def check_password(domain: IdentityDomain, user_name: str, password: str) -> User:
    user = domain.user(user_name)
    if user is None:
        raise WrongCredentials(f"{user_name!r}: no such user")
    if user.password is None:
        raise WrongCredentials(f"{user_name!r}: the user has no password")
    if not secrets_match(password, user.password):
        raise WrongCredentials(f"{user_name!r}: wrong password")
    if not user.active:
        raise UserDeactivated(f"{user_name!r}: the user is deactivated")
    return user


def users(domain: IdentityDomain) -> list[User]:
    """The users offered for one-click sign-in: the fixtures', as changed at run time by the control plane."""
    return list(runtime.users(domain).values())


def auto_login_user(domain: IdentityDomain, auto_login: bool | str, login_hint: str | None) -> User | None:
    """Who `--auto-login [USER]` signs in: the `login_hint` user if one is named, else USER, else the first user.
    None when auto-login is off or names no user."""
    if auto_login is False:
        return None
    if login_hint:
        return domain.user(login_hint)
    if isinstance(auto_login, str):
        return domain.user(auto_login)
    everyone = users(domain)
    return everyone[0] if everyone else None


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in in progress. `authorize` holds the authorization request to finish afterwards; `user_code`
    the device verification to go back to."""

    id: str
    csrf: str
    expires_at: float
    client_id: str | None = None
    login_hint: str | None = None
    authorize: Mapping[str, str] | None = None
    user_code: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "csrf": self.csrf,
            "expires_at": self.expires_at,
            "client_id": self.client_id,
            "login_hint": self.login_hint,
            "authorize": dict(self.authorize) if self.authorize is not None else None,
            "user_code": self.user_code,
        }


def begin(
    domain: IdentityDomain,
    *,
    client_id: str | None,
    login_hint: str | None = None,
    authorize: Mapping[str, str] | None = None,
    user_code: str | None = None,
) -> PendingSignIn:
    pending = PendingSignIn(
        id=secrets.token_urlsafe(24),
        csrf=secrets.token_urlsafe(24),
        expires_at=domain.clock.now() + PENDING_TTL,
        client_id=client_id,
        login_hint=login_hint,
        authorize=authorize,
        user_code=user_code,
    )
    domain.store.put(NS, pending.id, pending.to_record(), expires_at=pending.expires_at + GRACE)
    return pending


def find(domain: IdentityDomain, pending_id: str | None) -> PendingSignIn:
    """The sign-in in progress with this id, or the error page that says it is gone."""
    record = domain.store.get(NS, pending_id) if pending_id else None
    if record is None or record["expires_at"] <= domain.clock.now():
        raise ErrorPage(
            "invalid_request",
            "This sign-in has expired or was already completed. Start again from the application.",
        )
    return PendingSignIn(pending_id, **record)  # type: ignore[arg-type]


def check_csrf(expected: str, csrf_token: str | None) -> None:
    """A form of one of the domain's pages must post back the CSRF token the page was rendered with."""
    if not csrf_token or not secrets_match(csrf_token, expected):
        raise ErrorPage(
            "invalid_request",
            "The form was not posted from the page it belongs to: its csrf_token field is missing or wrong. "
            "Post back every hidden field of the page unchanged.",
            403,
        )


def finish(domain: IdentityDomain, pending: PendingSignIn) -> None:
    domain.store.delete(NS, pending.id)
