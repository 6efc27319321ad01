"""`/`: a page that says what this server is and where to go next (discovery, JWKS, the console, the docs).

[choice] The real domain's root redirects to its sign-in UI; a stand-in is more useful saying what it is.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockidp import __version__
from mockidp.web import pages
from mockidp.web.context import domain_of, urls_of
from mockidp.web.pages import escape


async def home(request: Request) -> Response:
    domain, urls = domain_of(request), urls_of(request)
    control = request.app.state.settings.control
    links = [
        ("Discovery (OpenID Connect)", "/.well-known/openid-configuration"),
        ("Discovery (OAuth 2.0)", "/.well-known/oauth-authorization-server"),
        ("JWKS", "/admin/v1/SigningCert/jwk"),
    ]
    if control:
        links += [("Console", "/mockidp/console"), ("Control plane (OpenAPI)", "/mockidp/v1/openapi.json")]
    items = "".join(f'<li><a href="{escape(urls.base + path)}">{escape(name)}</a></li>' for name, path in links)
    body = (
        "<h1>mockidp</h1>"
        '<p class="lead">An offline stand-in for an OCI IAM identity domain (formerly Oracle IDCS), for development '
        "and tests: the real service's OAuth 2.0 and OpenID Connect endpoints, claims and errors.</p>"
        f"<p>Domain URL: <code>{escape(urls.base)}</code><br>Issuer: <code>{escape(urls.issuer)}</code></p>"
        f'<h2>Start here</h2><ul class="scopes">{items}</ul>'
        "<h2>Documentation</h2><p>The README and <code>docs/</code> of the mockidp source: fixtures, browser "
        "flows, server-to-server, testing (faults, clock, keys, forged tokens), deployment, the console, client "
        f"compatibility. This is mockidp {escape(__version__)}.</p>"
    )
    return pages.render("mockidp", body, tenant=domain.tenant)


routes = [Route("/", home, methods=["GET"])]
