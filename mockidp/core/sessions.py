"""SSO sessions: who signed in to the domain from a browser, and until when (idcs-reference §3: 8 h by default).

A session lives in the store under an opaque, unguessable id; the browser's cookie carries only that id. The
`sid` claim of tokens is a different value (`Session.sid`), so a token never reveals a cookie.
Expiry is judged against the domain clock, so tests can move time past the end of a session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockidp.core.claims import Session
from mockidp.core.model import User

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

NS = "sessions"


@dataclass(frozen=True)
class ActiveSession:
    """A session that is still good now: its cookie id, its user and the sign-in behind it."""

    id: str
    user: User
    session: Session


def start(domain: IdentityDomain, user: User) -> ActiveSession:
    session = Session.start(domain.clock.now(), domain.settings.session_ttl)
    session_id = secrets.token_urlsafe(32)
    record = {"user": user.user_name, "session": session.to_record()}
    domain.store.put(NS, session_id, record, expires_at=session.expires_at)
    return ActiveSession(session_id, user, session)


def find(domain: IdentityDomain, session_id: str | None) -> ActiveSession | None:
    """The session behind a cookie, or None when there is none, it has ended, or its user no longer exists."""
    if not session_id:
        return None
    record = domain.store.get(NS, session_id)
    if record is None:
        return None
    session = Session.from_record(record["session"])
    user = domain.user(record["user"])
    if session.expires_at <= domain.clock.now() or user is None:
        domain.store.delete(NS, session_id)
        return None
    return ActiveSession(session_id, user, session)


def end(domain: IdentityDomain, session_id: str | None) -> None:
    if session_id:
        domain.store.delete(NS, session_id)


def end_sid(domain: IdentityDomain, sid: str) -> None:
    """End the session a token's `sid` claim names (logout with an `id_token_hint` but another cookie)."""
    for session_id, record in domain.store.items(NS):
        if record["session"]["sid"] == sid:
            domain.store.delete(NS, session_id)
