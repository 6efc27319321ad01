"""`/mockidp/console`: the web console, one page over the control plane's JSON API (`/mockidp/v1/…`).

Static files of this package (`index.html`, `console.js`, `console.css`), served with a strict Content Security
Policy: scripts, styles and connections from this origin only, no inline script, nothing from elsewhere (the
console works offline). The page itself holds no secret: with `--control-token` it asks for the token and keeps
it in the tab (sessionStorage); every API call carries it. `--no-control` leaves the console out, like the
control plane. `/mockidp/console/callback` is the flow debugger's redirect URI (core/console/debugger.py).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockidp.web.pages import escape

PATH = "/mockidp/console"
CALLBACK_PATH = PATH + "/callback"
ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the callback URL carries the code: send it nowhere
}


@cache
def _asset(name: str) -> bytes:
    return files(__package__).joinpath(name).read_bytes()


async def page(request: Request) -> Response:
    """The console page (also at the callback path: the script sees where it is). Its links are made absolute
    from the request's root, so the console of a domain at `/tenants/<tenant>` talks to that domain."""
    root = escape(request.scope.get("root_path", ""))
    html = _asset("index.html").decode().replace("{{root}}", root)
    return Response(html, headers=HEADERS, media_type="text/html; charset=utf-8")


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404)  # rendered in the OAuth shape, like every unknown path
    return Response(_asset(name), headers=HEADERS, media_type=media_type)


routes = [
    Route(PATH, page, methods=["GET"]),
    Route(CALLBACK_PATH, page, methods=["GET"]),
    Route(PATH + "/static/{name}", asset, methods=["GET"]),
]
