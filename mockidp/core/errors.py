"""The errors the identity domain reports to clients, kept free of HTTP frameworks.

`OAuthError` is rendered by the web layer as the IDCS body `{"error", "error_description", "ecid"}`
(idcs-reference §6); `ScimError` as the SCIM error body that `/admin/v1/*` answers with.
"""

from __future__ import annotations


class OAuthError(Exception):
    """An OAuth/OIDC error in the identity domain's shape.

    `description` is what the client reads; `reason` (optional) is a more precise explanation kept for
    the server log and the request journal, for the cases where the real service answers with a fixed
    text (e.g. "Client authentication failed.") and we must not leak more into the body.
    """

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        *,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}
        self.reason = reason or description


class ErrorPage(OAuthError):
    """An error shown to the user on an HTML page and never redirected: the client or its redirect URI cannot
    be trusted (idcs-reference §6: "Client <id> requested an invalid redirect URL: <url>. ECID: <ecid>")."""


def invalid_redirect(client_id: str, redirect_uri: str, reason: str) -> ErrorPage:
    """The real service's text (the web layer appends " ECID: <ecid>"); `reason` says what exactly is wrong."""
    return ErrorPage(
        "invalid_redirect_uri", f"Client {client_id} requested an invalid redirect URL: {redirect_uri}.", reason=reason
    )


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(
    reason: str, *, basic: bool = False, description: str = "Client authentication failed."
) -> OAuthError:
    """Client authentication failed. For a wrong id or secret the body keeps the real service's fixed text
    and the precise reason goes to the log and journal; malformed requests say what is wrong."""
    headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if basic else None
    return OAuthError("invalid_client", description, 401, headers=headers, reason=reason)


def unauthorized_client(reason: str) -> OAuthError:
    """The client may not do this (a scope or a grant it was not given): the real text in the body."""
    return OAuthError("unauthorized_client", "Client authorization failed.", reason=reason)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_scope(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description)


def invalid_target(description: str) -> OAuthError:
    """RFC 8707 §2: the `resource` names no resource server this client may get a token for."""
    return OAuthError("invalid_target", description)


def invalid_token(description: str, status: int = 401) -> OAuthError:
    """A bearer token that cannot be used (RFC 6750 §3): the challenge goes in WWW-Authenticate."""
    # RFC 6750 §3: error_description is printable ASCII without '"' or '\\' (the body keeps the whole text).
    quoted = "".join(c if " " <= c <= "~" else "?" for c in description.replace('"', "'").replace("\\", "/"))
    challenge = f'Bearer error="invalid_token", error_description="{quoted}"'
    return OAuthError("invalid_token", description, status, headers={"WWW-Authenticate": challenge})


class ScimError(Exception):
    """An error from the `/admin/v1` (SCIM) part of the domain."""

    def __init__(
        self,
        status: int,
        detail: str,
        message_id: str,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.message_id = message_id
        self.scim_type = scim_type  # RFC 7644 §3.12: invalidFilter, invalidValue, uniqueness, …
        self.headers = headers or {}
        # For the log and the journal when the body keeps the real service's fixed text (as OAuthError.reason).
        self._reason = reason

    @property
    def reason(self) -> str:
        return self._reason or self.detail

    @reason.setter
    def reason(self, value: str) -> None:
        self._reason = value


def scim_unauthorized() -> ScimError:
    return ScimError(401, "Operation failed due to unauthorized access.", "error.common.exception.unauthorizedAccess")


class ControlError(Exception):
    """A control-plane request that cannot be done (`/mockidp/v1/…`): a status, a sentence saying what to fix,
    and, for refused users/clients/resources, every problem found, in the form fixtures report them."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
