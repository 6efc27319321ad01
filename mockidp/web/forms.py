"""Strict reading of request parameters: form bodies only where OAuth says so, a bounded size, and no
parameter sent twice (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once")."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from mockidp.core.errors import OAuthError, invalid_request

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 100
FORM_KEY = "mockidp.form"  # parameters already read from the body by the interceptor middleware


def parse_params(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise invalid_request(f"The request has more than {MAX_FIELDS} parameters.") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise invalid_request(f"The {name} parameter is repeated; send each parameter once.")
        params[name] = value
    return params


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise OAuthError("invalid_request", f"The request body is larger than {limit} bytes.", 413)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise OAuthError("invalid_request", f"The request body is larger than {limit} bytes.", 413)
            chunks.append(chunk)
    except ClientDisconnect:
        raise invalid_request("The client closed the connection before sending the whole body.") from None
    return b"".join(chunks)


async def read_form(request: Request) -> dict[str, str]:
    """The parameters of a form-encoded POST body."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != FORM:
        got = content_type or "no Content-Type"
        raise invalid_request(f"The request body must be sent as {FORM} (got {got}).")
    already = request.scope.get(FORM_KEY)
    if already is not None:
        return dict(already)
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("The request body is not valid UTF-8.") from None
    return parse_params(text)


def query_params(request: Request) -> dict[str, str]:
    return parse_params(request.scope.get("query_string", b"").decode("latin-1"))
