"""Every error of the authorize endpoint: an error page when the client or redirect URI cannot be trusted, else
a redirect to the client with error, error_description and state, in the response mode asked for."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from tests.flows import (
    CALLBACK,
    CODE_ONLY,
    QUERY_CALLBACK,
    SPA,
    SPA_CALLBACK,
    WEBAPP,
    authorize,
    forms,
    response_params,
)

CODE = {"client_id": WEBAPP, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid", "state": "s-1"}


def page_text(response: requests.Response) -> str:
    start = response.text.index('id="message">') + len('id="message">')
    return response.text[start : response.text.index("</p>", start)]


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        ("no-such-client", CALLBACK),
        (WEBAPP, "http://localhost:8001/callback/"),  # not exactly: trailing slash
        (WEBAPP, "http://localhost:8002/callback"),  # another port
        (WEBAPP, "http://LOCALHOST:8001/callback"),  # case
        (WEBAPP, "https://app.example.com/cb"),  # registered with a query
        (WEBAPP, "https://evil.example.com/"),
        (WEBAPP, ""),
    ],
)
def test_untrusted_redirect_is_an_error_page_never_a_redirect(flow_idp, client_id, redirect_uri):
    params = {**CODE, "client_id": client_id, "redirect_uri": redirect_uri}
    response = authorize(requests.Session(), flow_idp.url, **params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    ecid = response.headers["x-oracle-dms-ecid"]
    assert page_text(response) == f"Client {client_id} requested an invalid redirect URL: {redirect_uri}. ECID: {ecid}"


def test_missing_client_id_is_an_error_page(flow_idp):
    response = authorize(requests.Session(), flow_idp.url, response_type="code", redirect_uri=CALLBACK)
    assert response.status_code == 400
    assert page_text(response).startswith("The authorization request has no client_id parameter. ECID: ")


def test_repeated_parameter_is_an_error_page(flow_idp):
    query = urlencode(CODE) + "&redirect_uri=https%3A%2F%2Fevil.example.com%2F"
    response = requests.get(f"{flow_idp.authorize_url}?{query}", allow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert page_text(response).startswith("The redirect_uri parameter is repeated; send each parameter once.")


def test_error_page_escapes_what_the_request_says(flow_idp):
    evil = "http://x/<script>alert(1)</script>"
    response = authorize(requests.Session(), flow_idp.url, **{**CODE, "redirect_uri": evil})
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


REDIRECTED_ERRORS = [
    # (changes to a code request, error, error_description, response mode of the answer)
    ({"response_type": "device_code"}, "unsupported_response_type",
     "The response_type 'device_code' is not supported; use code, token, id_token, or a combination such as "
     "code id_token.", "query"),
    ({"response_type": None}, "invalid_request", "The response_type parameter is required, e.g. response_type=code.",
     "query"),
    ({"scope": "openid https://orders.example.com/write"}, "unauthorized_client", "Client authorization failed.",
     "query"),
    ({"scope": "https://nowhere.example.com/read"}, "invalid_scope",
     'The scope "https://nowhere.example.com/read" is not defined in this identity domain. A resource scope is its '
     'audience followed by its value, e.g. "https://api.example.com/read".', "query"),
    ({"scope": None}, "invalid_request",
     'The scope parameter is missing: ask for at least one scope, e.g. "openid" or a resource scope such as '
     '"https://api.example.com/read".', "query"),
    ({"prompt": "none"}, "login_required",
     "The user is not signed in, and prompt=none forbids the sign-in page.", "query"),
    ({"prompt": "none", "response_mode": "fragment"}, "login_required",
     "The user is not signed in, and prompt=none forbids the sign-in page.", "fragment"),
    ({"prompt": "none login"}, "invalid_request", "prompt=none cannot be combined with other prompt values.",
     "query"),
    ({"prompt": "create"}, "invalid_request", "The prompt value 'create' is not supported; use none or login.",
     "query"),
    ({"max_age": "soon"}, "invalid_request", "The max_age must be a whole number of seconds, got 'soon'.", "query"),
    ({"response_mode": "web_message"}, "invalid_request",
     "The response_mode 'web_message' is not supported; use query, fragment or form_post.", "query"),
    ({"response_type": "id_token", "nonce": "n"}, "invalid_request",
     "The response_mode query cannot carry tokens; use fragment or form_post for id_token.", "fragment"),
    ({"response_type": "id_token", "response_mode": None}, "invalid_request",
     "The nonce parameter is required with response_type id_token (OpenID Connect).", "fragment"),
    ({"response_type": "id_token token", "response_mode": None, "nonce": "n", "scope": "https://orders.example.com/read"},
     "invalid_request", "The response_type id_token token returns an ID token: add openid to the scope.", "fragment"),
    ({"code_challenge": "x" * 43, "code_challenge_method": "S512"}, "invalid_request",
     "The code_challenge_method 'S512' is not supported; use S256 or plain.", "query"),
    ({"code_challenge": "too-short"}, "invalid_request",
     "The code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~' (for S256: the "
     "base64url SHA-256 of the code_verifier, without padding).", "query"),
    ({"code_challenge_method": "S256"}, "invalid_request",
     "The code_challenge_method was sent without a code_challenge.", "query"),
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported",
     "Request objects (the request parameter) are not supported.", "query"),
    ({"request_uri": "urn:example:1"}, "request_uri_not_supported", "The request_uri parameter is not supported.",
     "query"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "error", "description", "mode"), REDIRECTED_ERRORS)
def test_other_errors_go_back_to_the_client(flow_idp, changes, error, description, mode):
    params = {**CODE, "response_mode": "query", **changes}
    params = {name: value for name, value in params.items() if value is not None}
    response = authorize(requests.Session(), flow_idp.url, **params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK + ("#" if mode == "fragment" else "?"))
    assert response_params(location) == {"error": error, "error_description": description, "state": "s-1"}


def test_public_client_without_pkce(flow_idp):
    params = {**CODE, "client_id": SPA, "redirect_uri": SPA_CALLBACK, "state": "abc"}
    response = authorize(requests.Session(), flow_idp.url, **params)
    assert response_params(response.headers["location"]) == {
        "error": "invalid_request",
        "error_description": "Public clients must use PKCE: send code_challenge and code_challenge_method=S256 "
        "(RFC 7636).",
        "state": "abc",
    }


def test_client_without_the_implicit_grant(flow_idp):
    params = {**CODE, "client_id": CODE_ONLY, "response_type": "token", "state": "abc"}
    response = authorize(requests.Session(), flow_idp.url, **params)
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "#")
    assert response_params(location) == {
        "error": "unauthorized_client",
        "error_description": "Client authorization failed.",
        "state": "abc",
    }


def test_error_without_state_has_no_state(flow_idp):
    params = {key: value for key, value in CODE.items() if key != "state"}
    response = authorize(requests.Session(), flow_idp.url, **{**params, "prompt": "none"})
    assert set(response_params(response.headers["location"])) == {"error", "error_description"}


def test_error_keeps_the_query_of_the_redirect_uri(flow_idp):
    response = authorize(requests.Session(), flow_idp.url, **{**CODE, "redirect_uri": QUERY_CALLBACK, "prompt": "none"})
    location = response.headers["location"]
    assert location.startswith("https://app.example.com/cb?tenant=a&error=login_required&")


def test_error_in_form_post_mode_is_a_form(flow_idp):
    response = authorize(requests.Session(), flow_idp.url, **{**CODE, "prompt": "none", "response_mode": "form_post"})
    assert response.status_code == 200
    (form,) = forms(response.text)
    assert (form.action, form.method) == (CALLBACK, "post")
    assert form.fields == {
        "error": "login_required",
        "error_description": "The user is not signed in, and prompt=none forbids the sign-in page.",
        "state": "s-1",
    }
    assert set(form.inputs.values()) == {"hidden"}


def test_authorize_by_post_has_the_same_errors(flow_idp):
    response = requests.post(flow_idp.authorize_url, data={**CODE, "prompt": "none"}, allow_redirects=False)
    assert response.status_code == 302
    assert response_params(response.headers["location"])["error"] == "login_required"
