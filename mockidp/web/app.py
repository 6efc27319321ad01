"""The Starlette application: routes of every endpoint group, one error renderer, common middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from mockidp.core.domain import IdentityDomain
from mockidp.core.stores import Backend, MemoryBackend
from mockidp.web import (
    admin,
    authorize,
    console,
    control,
    device,
    discovery,
    health,
    home,
    jwks,
    logout,
    signin,
    token,
    userinfo,
)
from mockidp.web.context import DomainSelector, ServerSettings, check_distinct_tenants
from mockidp.web.cors import Cors
from mockidp.web.errors import EXCEPTION_HANDLERS
from mockidp.web.fast_lane import FastLane
from mockidp.web.guard import LastResort, ReadDeadline
from mockidp.web.interceptor import Interceptor
from mockidp.web.middleware import OracleHeaders


class App(Starlette):
    """Starlette with `guard.LastResort` outside its own error middleware (which answers, then re-raises), and the
    fast lane for the busiest requests just inside it (`web/fast_lane.py`)."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        settings: ServerSettings = self.state.settings
        if settings.fast_lane:
            stack = FastLane(stack, self.state.domains, settings)
        return LastResort(stack)


def create_app(
    domains: list[IdentityDomain], settings: ServerSettings | None = None, backend: Backend | None = None
) -> App:
    """The app serving `domains`, whose stores come from `backend` (reported by /mockidp/health; default: memory)."""
    if not domains:
        raise ValueError("create_app needs at least one identity domain")
    check_distinct_tenants(domains)
    settings = settings or ServerSettings()
    routes = [  # the token endpoint first: the router tries routes in order and it is the busiest
        *token.routes,
        *discovery.routes,
        *jwks.routes,
        *userinfo.routes,
        *authorize.routes,
        *signin.routes,
        *logout.routes,
        *device.routes,
        *admin.routes,  # after jwks: /admin/v1/SigningCert/jwk is not a SCIM resource type
        *home.routes,
        *health.routes,  # always: a load balancer or container runtime asks it, with or without a control plane
    ]
    # Cors outside the Interceptor: injected faults carry CORS headers too, so a browser app can read them.
    middleware = [
        Middleware(OracleHeaders),
        Middleware(ReadDeadline, timeout=settings.body_timeout),
        Middleware(health.StoreGuard),  # a lost shared store: a 503 in the endpoint's shape, wherever it is met
        Middleware(DomainSelector, domains=domains),
        Middleware(Cors),
    ]
    if settings.control:  # without the control plane nobody can queue a fault or read the journal
        routes.append(control.mount(settings.control_token))
        routes.extend(console.routes)  # the page is no secret; the API calls it makes are guarded
        middleware.append(Middleware(Interceptor, settings=settings))
    app = App(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS)
    app.state.settings = settings
    app.state.domains = domains
    app.state.backend = backend if backend is not None else MemoryBackend()
    return app
