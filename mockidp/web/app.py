"""The Starlette application: routes of every endpoint group, one error renderer, common middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from mockidp.core.domain import IdentityDomain
from mockidp.web import discovery, jwks, token, userinfo
from mockidp.web.context import DomainSelector, ServerSettings
from mockidp.web.errors import EXCEPTION_HANDLERS
from mockidp.web.middleware import OracleHeaders


def create_app(domains: list[IdentityDomain], settings: ServerSettings | None = None) -> Starlette:
    if not domains:
        raise ValueError("create_app needs at least one identity domain")
    routes = [*discovery.routes, *jwks.routes, *token.routes, *userinfo.routes]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(OracleHeaders), Middleware(DomainSelector, domains=domains)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.settings = settings or ServerSettings()
    app.state.domains = domains
    return app
