"""The HTML pages users see: sign-in, device verification, signed out, errors, and the form_post response.

Small string templates; every value from a request or a fixture goes through `escape`. Pages work without
JavaScript (only the form_post page runs one line of it, and offers a button when it cannot). The Content
Security Policy allows this module's own stylesheet and script by hash, and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Mapping

from starlette.responses import HTMLResponse

STYLE = """
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad;
  --accent-ink: #fff; --bad: #b42318; --bad-bg: #fef3f2; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 28rem; margin: 3rem auto; padding: 2rem; background: #fff;
  border: 1px solid var(--line); border-radius: 12px; }
.badge { display: inline-block; margin: 0 0 1rem; padding: .15rem .6rem; border-radius: 999px;
  background: #fff8c5; border: 1px solid #d4a72c; font-size: .8rem; color: #4d2d00; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1rem; margin: 1.75rem 0 .75rem; }
p { margin: .5rem 0; }
.lead { color: var(--muted); margin-bottom: 1rem; }
.alert { padding: .75rem 1rem; border-radius: 8px; background: var(--bad-bg); color: var(--bad);
  border: 1px solid #fda29b; }
.detail { color: var(--muted); font-size: .875rem; overflow-wrap: anywhere; }
ul.users { list-style: none; margin: 0; padding: 0; display: grid; gap: .5rem; }
ul.users form { margin: 0; }
ul.users button { width: 100%; text-align: left; display: flex; flex-direction: column; background: #fff;
  color: var(--ink); border: 1px solid var(--line); }
ul.users button:hover { border-color: var(--accent); background: #f0f6fc; }
.user-id { color: var(--muted); font-size: .875rem; font-weight: 400; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=password] { width: 100%; padding: .6rem .75rem; font: inherit;
  border: 1px solid #8c959f; border-radius: 8px; }
button { font: inherit; font-weight: 600; padding: .6rem 1rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); }
button.secondary { background: #fff; color: var(--accent); }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
code, .code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
ul.scopes { padding-left: 1.25rem; }
footer { margin-top: 2rem; overflow-wrap: anywhere; color: var(--muted); font-size: .8rem; }
"""
AUTO_SUBMIT = "document.forms[0].submit();"


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


_CSP = (
    f"default-src 'none'; style-src {_csp_hash(STYLE)}; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'{script}"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: browsers then post forms with Origin: null
}
CSP = _CSP.format(script="")
CSP_WITH_SCRIPT = _CSP.format(script=f"; script-src {_csp_hash(AUTO_SUBMIT)}")


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def hidden(fields: Mapping[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())


def alert(message: str | None) -> str:
    return f'<p class="alert" role="alert" id="message">{escape(message)}</p>' if message else ""


def render(title: str, body: str, *, tenant: str | None = None, status: int = 200, script: str = "") -> HTMLResponse:
    """A whole page. `body` is HTML already escaped by the caller; `script` may only be `AUTO_SUBMIT`. With a
    `tenant`, the page says it belongs to this test identity domain."""
    assert script in ("", AUTO_SUBMIT)
    if tenant is not None:
        body = (
            '<p class="badge">mockidp · test identity domain</p>'
            f"{body}<footer>Identity domain {escape(tenant)}: a stand-in for an OCI IAM identity domain, for "
            "development and tests. Never enter a real password here.</footer>"
        )
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<main>{body}</main>" + (f"<script>{script}</script>" if script else "") + "</body></html>"
    )
    headers = {**HEADERS, "Content-Security-Policy": CSP_WITH_SCRIPT if script else CSP}
    return HTMLResponse(document, status, headers=headers)


def error_page(tenant: str, description: str, ecid: str, reason: str | None, status: int) -> HTMLResponse:
    detail = f'<p class="detail">mockidp: {escape(reason)}</p>' if reason and reason != description else ""
    body = (
        "<h1>Error</h1>"
        f'<p class="alert" role="alert" id="message">{escape(description)} ECID: {escape(ecid)}</p>{detail}'
    )
    return render("Error", body, tenant=tenant, status=status)


def form_post(action: str, fields: Mapping[str, str]) -> HTMLResponse:
    """The form_post response mode: a form that posts the response to the client, submitted by script."""
    body = (
        f'<form method="post" action="{escape(action)}">{hidden(fields)}'
        "<h1>Returning to the application…</h1>"
        "<noscript><p>JavaScript is off: press Continue to return to the application.</p>"
        "<button type=submit>Continue</button></noscript></form>"
    )
    return render("Returning to the application", body, script=AUTO_SUBMIT)


def sign_in_page(
    *,
    tenant: str,
    action: str,
    fields: Mapping[str, str],
    client_name: str,
    users: Iterable[tuple[str, str]],
    username: str = "",
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The sign-in page: one-click buttons for the domain's users, a user name and password form, Cancel.
    `users` are (user_name, display name) pairs; `fields` the hidden inputs every form posts back."""
    keep = hidden(fields)
    one_click = "".join(
        f'<li><form method="post" action="{escape(action)}">{keep}'
        f'<button type="submit" name="username" value="{escape(user_name)}">'
        f'<span>{escape(display)}</span><span class="user-id">{escape(user_name)}</span></button></form></li>'
        for user_name, display in users
    )
    choose = (
        '<section aria-labelledby="choose"><h2 id="choose">Choose a test user</h2>'
        f'<ul class="users">{one_click}</ul></section>'
        if one_click
        else ""
    )
    described = ' aria-describedby="message"' if message else ""
    body = (
        "<h1>Sign In</h1>"
        f'<p class="lead">to continue to <strong>{escape(client_name)}</strong></p>{alert(message)}{choose}'
        '<section aria-labelledby="password-heading">'
        '<h2 id="password-heading">Sign in with a user name and password</h2>'
        f'<form method="post" action="{escape(action)}">{keep}'
        '<label for="username">User Name</label>'
        f'<input type="text" id="username" name="username" value="{escape(username)}" autocomplete="username" '
        f'autocapitalize="none" spellcheck="false" required{described}>'
        '<label for="password">Password</label>'
        f'<input type="password" id="password" name="password" autocomplete="current-password" required{described}>'
        '<div class="actions"><button type="submit">Sign In</button>'
        '<button type="submit" name="cancel" value="cancel" class="secondary" formnovalidate>Cancel</button>'
        "</div></form></section>"
    )
    return render("Sign In", body, tenant=tenant, status=status)


def device_code_page(*, tenant: str, action: str, user_code: str = "", message: str | None = None) -> HTMLResponse:
    described = ' aria-describedby="message"' if message else ""
    body = (
        "<h1>Connect a device</h1>"
        '<p class="lead">Enter the code shown on your device.</p>'
        f'{alert(message)}<form method="get" action="{escape(action)}">'
        '<label for="user_code">Code</label>'
        f'<input type="text" id="user_code" name="user_code" value="{escape(user_code)}" autocomplete="off" '
        f'autocapitalize="characters" spellcheck="false" class="code" required{described}>'
        '<div class="actions"><button type="submit">Continue</button></div></form>'
    )
    return render("Connect a device", body, tenant=tenant, status=400 if message else 200)


def device_confirm_page(
    *,
    tenant: str,
    action: str,
    fields: Mapping[str, str],
    client_name: str,
    scopes: Iterable[str],
    user: str,
    logout: str,
) -> HTMLResponse:
    items = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes)
    body = (
        "<h1>Allow access?</h1>"
        f'<p class="lead"><strong>{escape(client_name)}</strong> on your device asks for access with these scopes:</p>'
        f'<ul class="scopes">{items}</ul>'
        f'<p>Signed in as <strong>{escape(user)}</strong>. <a href="{escape(logout)}">Not you?</a></p>'
        f'<form method="post" action="{escape(action)}">{hidden(fields)}'
        '<div class="actions"><button type="submit" name="decision" value="approve">Allow</button>'
        '<button type="submit" name="decision" value="deny" class="secondary">Deny</button></div></form>'
    )
    return render("Allow access?", body, tenant=tenant)


def message_page(*, tenant: str, title: str, text: str) -> HTMLResponse:
    return render(title, f'<h1>{escape(title)}</h1><p class="lead" role="status">{escape(text)}</p>', tenant=tenant)
