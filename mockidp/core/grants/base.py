"""What every grant shares: the parsed token request, and small checks used by several grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockidp.core.errors import invalid_request, unauthorized_client
from mockidp.core.model import Client
from mockidp.core.scopes import GrantedScopes

if TYPE_CHECKING:
    from mockidp.core.domain import Urls


@dataclass(frozen=True)
class TokenRequest:
    params: Mapping[str, str]  # form parameters, each present once (the web layer refuses repeats)
    client: Client
    auth_method: str
    urls: Urls

    def get(self, name: str) -> str | None:
        return self.params.get(name)

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if not value:
            grant = self.params.get("grant_type")
            raise invalid_request(f"The {name} parameter is required for grant_type {grant}.")
        return value


def check_allowed(client: Client, grant_type: str) -> None:
    if grant_type not in client.grant_types:
        raise unauthorized_client(
            f"client {client.client_id} is not allowed grant type {grant_type!r}; its "
            f"grant_types are {', '.join(client.grant_types) or 'empty'}"
        )


def wants_refresh_token(client: Client, scopes: GrantedScopes) -> bool:
    """A refresh token comes with `offline_access`, for clients allowed the refresh_token grant."""
    return scopes.has("offline_access") and "refresh_token" in client.grant_types
