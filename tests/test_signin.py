"""The sign-in page driven as a script drives it (requests, no browser): its form, password and one-click sign-in,
wrong password, Cancel, CSRF, the SSO session cookie, prompt, max_age, login_hint and auto-login."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from mockidp.paths import default_fixtures
from mockidp.testing import MockIdP
from tests.flows import (
    ALICE,
    BOB,
    CALLBACK,
    NOPASS,
    TRICKY,
    WEBAPP,
    authorize,
    decode,
    follow,
    forms,
    password_form,
    response_params,
    sign_in,
    write_flow_fixtures,
)

CODE = {"client_id": WEBAPP, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid", "state": "s-1"}


def signin_page(idp, session: requests.Session, **changes: str) -> requests.Response:
    response = authorize(session, idp.url, **{**CODE, **changes})
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{idp.url}/ui/v1/signin?request_id=")
    page = follow(session, response)
    assert page.status_code == 200
    return page


def code_of(response: requests.Response) -> str:
    assert response.status_code == 302, response.text[:500]
    params = response_params(response.headers["location"])
    assert params["state"] == "s-1"
    return params["code"]


def user_of(idp, code: str) -> str:
    return decode(idp, _tokens(idp, code)["id_token"])["sub"]


def test_the_page_has_the_documented_form(flow_idp):
    page = signin_page(flow_idp, requests.Session())
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    form = password_form(page.text)
    assert form.method == "post"
    assert form.action == "/ui/v1/signin"
    assert form.inputs == {"request_id": "hidden", "csrf_token": "hidden", "username": "text", "password": "password"}
    assert ("cancel", "cancel") in form.buttons
    # one-click: a form per user whose button posts username, with the same hidden fields
    one_click = [f for f in forms(page.text) if "password" not in f.inputs]
    assert [f.buttons for f in one_click] == [[("username", u)] for u in (ALICE, BOB, NOPASS, TRICKY)]
    assert all(f.fields == {k: form.fields[k] for k in ("request_id", "csrf_token")} for f in one_click)
    assert "to continue to <strong>Web App</strong>" in page.text
    assert '<html lang="en">' in page.text
    assert '<label for="username">' in page.text and '<label for="password">' in page.text


def test_the_page_escapes_fixture_values(flow_idp):
    page = signin_page(flow_idp, requests.Session())
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page.text


def test_password_sign_in(flow_idp):
    session = requests.Session()
    response = sign_in(session, signin_page(flow_idp, session), BOB)
    assert user_of(flow_idp, code_of(response)) == BOB


def test_one_click_sign_in(flow_idp):
    session = requests.Session()
    response = sign_in(session, signin_page(flow_idp, session), NOPASS, password=None)
    assert user_of(flow_idp, code_of(response)) == NOPASS


def test_wrong_password_shows_the_page_again_with_a_message(flow_idp):
    session = requests.Session()
    page = signin_page(flow_idp, session)
    wrong = sign_in(session, page, ALICE, "not-it")
    assert wrong.status_code == 401
    assert '<p class="alert" role="alert" id="message">The user name or password is incorrect.</p>' in wrong.text
    assert password_form(wrong.text).fields["username"] == ALICE  # kept for the next try
    assert password_form(wrong.text).fields["request_id"] == password_form(page.text).fields["request_id"]
    # a user without a password cannot sign in with one
    assert sign_in(session, wrong, NOPASS, "").status_code == 401
    assert sign_in(session, wrong, "nobody@example.com").status_code == 401
    assert user_of(flow_idp, code_of(sign_in(session, wrong, ALICE))) == ALICE


def test_cancel_returns_access_denied(flow_idp):
    session = requests.Session()
    form = password_form(signin_page(flow_idp, session).text)
    response = session.post(
        f"{flow_idp.url}/ui/v1/signin", data={**form.fields, "cancel": "cancel"}, allow_redirects=False
    )
    assert response.status_code == 302
    assert response.headers["location"] == (
        f"{CALLBACK}?error=access_denied&error_description=The+user+cancelled+the+sign-in.&state=s-1"
    )
    assert "set-cookie" not in response.headers


def test_a_finished_sign_in_cannot_be_posted_again(flow_idp):
    session = requests.Session()
    page = signin_page(flow_idp, session)
    code_of(sign_in(session, page, ALICE))
    again = sign_in(session, page, ALICE)
    assert again.status_code == 400
    assert "This sign-in has expired or was already completed. Start again from the application." in again.text
    assert requests.get(page.url).status_code == 400


def test_a_sign_in_left_open_too_long_expires(flow_idp):
    session = requests.Session()
    page = signin_page(flow_idp, session)
    flow_idp.domain.clock.advance(901)
    assert sign_in(session, page, ALICE).status_code == 400


@pytest.mark.parametrize("csrf_token", [None, "", "guessed"])
def test_the_form_needs_its_csrf_token(flow_idp, csrf_token):
    session = requests.Session()
    form = password_form(signin_page(flow_idp, session).text)
    data = {**form.fields, "username": ALICE, "password": "Welcome1!", "csrf_token": csrf_token}
    response = session.post(f"{flow_idp.url}/ui/v1/signin", data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 403
    assert "its csrf_token field is missing or wrong" in response.text


def test_a_form_posted_from_another_site_is_refused(flow_idp):
    session = requests.Session()
    page = signin_page(flow_idp, session)
    form = password_form(page.text)
    data = {**form.fields, "username": ALICE, "password": "Welcome1!"}
    url = f"{flow_idp.url}/ui/v1/signin"
    refused = session.post(url, data=data, headers={"Origin": "https://evil.example.com"}, allow_redirects=False)
    assert refused.status_code == 403
    assert "The form was posted from another site" in refused.text
    accepted = session.post(url, data=data, headers={"Origin": flow_idp.url}, allow_redirects=False)
    assert accepted.status_code == 302


def test_the_session_cookie_skips_the_page_next_time(flow_idp):
    session = requests.Session()
    response = sign_in(session, signin_page(flow_idp, session), BOB)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mockidp_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http
    first = decode(flow_idp, _tokens(flow_idp, code_of(response))["id_token"])

    again = authorize(session, flow_idp.url, **CODE)  # no page: straight back to the client
    second = decode(flow_idp, _tokens(flow_idp, code_of(again))["id_token"])
    assert second["sub"] == BOB
    assert (second["sid"], second["auth_time"]) == (first["sid"], first["auth_time"])

    silent = authorize(session, flow_idp.url, **{**CODE, "prompt": "none"})
    assert "code" in response_params(silent.headers["location"])


def test_prompt_login_forces_the_page_and_starts_a_new_session(flow_idp):
    session = requests.Session()
    first = decode(
        flow_idp, _tokens(flow_idp, code_of(sign_in(session, signin_page(flow_idp, session), BOB)))["id_token"]
    )
    page = signin_page(flow_idp, session, prompt="login")
    response = sign_in(session, page, ALICE)
    second = decode(flow_idp, _tokens(flow_idp, code_of(response))["id_token"])
    assert second["sub"] == ALICE
    assert second["sid"] != first["sid"]
    # the new session replaced the old one
    assert user_of(flow_idp, code_of(authorize(session, flow_idp.url, **CODE))) == ALICE


def test_max_age(flow_idp):
    session = requests.Session()
    code_of(sign_in(session, signin_page(flow_idp, session), BOB))
    flow_idp.domain.clock.advance(120)
    assert "code" in response_params(authorize(session, flow_idp.url, **CODE, max_age="300").headers["location"])
    silent = authorize(session, flow_idp.url, **{**CODE, "max_age": "60", "prompt": "none"})
    assert response_params(silent.headers["location"])["error_description"] == (
        "The user signed in more than max_age=60 seconds ago."
    )
    signin_page(flow_idp, session, max_age="60")  # too old: the page again
    signin_page(flow_idp, session, max_age="0")  # 0: always


def test_the_session_ends_after_session_ttl(flow_idp):
    session = requests.Session()
    code_of(sign_in(session, signin_page(flow_idp, session), BOB))
    flow_idp.domain.clock.advance(flow_idp.domain.settings.session_ttl)
    signin_page(flow_idp, session)


def test_login_hint_fills_in_the_user_name(flow_idp):
    page = signin_page(flow_idp, requests.Session(), login_hint=BOB)
    assert password_form(page.text).fields["username"] == BOB


def test_secure_cookie_behind_https(flow_idp):
    session = requests.Session()
    session.headers["X-Forwarded-Proto"] = "https"  # a TLS-terminating proxy in front
    location = authorize(session, flow_idp.url, **CODE).headers["location"]
    assert location.startswith(flow_idp.url.replace("http:", "https:") + "/ui/v1/signin?")
    page = session.get(location.replace("https:", "http:", 1))
    response = sign_in(session, page, BOB)
    assert "Secure" in response.headers["set-cookie"]


# ---------------------------------------------------------------------------------------------- auto-login


@pytest.fixture
def auto_login_idp(tmp_path):
    def start(auto_login):
        return MockIdP(write_flow_fixtures(tmp_path), auto_login=auto_login).start()

    started = []
    yield lambda auto_login: started.append(start(auto_login)) or started[-1]
    for server in started:
        server.stop()


def test_auto_login_user(auto_login_idp):
    idp = auto_login_idp(BOB)
    session = requests.Session()
    response = authorize(session, idp.url, **CODE)
    assert user_of(idp, code_of(response)) == BOB
    assert response.headers["set-cookie"].startswith("mockidp_session=")
    # login_hint picks the user when auto-login is on
    assert user_of(idp, code_of(authorize(requests.Session(), idp.url, **CODE, login_hint=ALICE))) == ALICE
    # prompt=login signs in again, without a page
    assert user_of(idp, code_of(authorize(session, idp.url, **CODE, prompt="login", login_hint=ALICE))) == ALICE


def test_auto_login_without_a_user_takes_the_hint_or_the_first_user(auto_login_idp):
    idp = auto_login_idp(True)
    assert user_of(idp, code_of(authorize(requests.Session(), idp.url, **CODE))) == ALICE
    assert user_of(idp, code_of(authorize(requests.Session(), idp.url, **CODE, login_hint=BOB))) == BOB


def test_auto_login_with_an_unknown_hint_or_prompt_none(auto_login_idp):
    idp = auto_login_idp(True)
    unknown = authorize(requests.Session(), idp.url, **CODE, login_hint="nobody@example.com")
    assert response_params(unknown.headers["location"]) == {
        "error": "login_required",
        "error_description": "Auto-login: 'nobody@example.com' is not a user of this identity domain.",
        "state": "s-1",
    }
    silent = authorize(requests.Session(), idp.url, **CODE, prompt="none")
    assert response_params(silent.headers["location"])["error"] == "login_required"


def test_auto_login_of_an_unknown_user_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="auto_login='nobody': no such user"):
        MockIdP(write_flow_fixtures(tmp_path), auto_login="nobody").start()
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", "--port", "0", "--auto-login", "nobody"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "mockidp: --auto-login nobody: no such user in the fixtures (known: user@example.com, bob@example.com, "
        "erin@example.com)"
    )


def _tokens(idp, code: str) -> dict:
    response = requests.post(
        idp.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(WEBAPP, "webapp-secret"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_sign_in_in_one_of_several_domains(tmp_path):
    """Under /tenants/<tenant> the page, its form, the cookie and the redirects stay inside that domain."""
    tenant = "idcs-0123456789abcdef0123456789abcdef"  # the flow fixtures'
    with MockIdP([default_fixtures(), write_flow_fixtures(tmp_path)]) as idp:
        base = f"{idp.url}/tenants/{tenant}"
        session = requests.Session()
        response = authorize(session, base, **CODE)
        assert response.headers["location"].startswith(f"{base}/ui/v1/signin?request_id=")
        page = follow(session, response)
        assert password_form(page.text).action == f"/tenants/{tenant}/ui/v1/signin"
        signed_in = sign_in(session, page, ALICE)
        assert f"Path=/tenants/{tenant};" in signed_in.headers["set-cookie"]
        code = code_of(signed_in)
        tokens = requests.post(
            f"{base}/oauth2/v1/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            auth=(WEBAPP, "webapp-secret"),
        )
        assert tokens.status_code == 200
        # the session is this domain's: the other domain (at the root) does not know the user is signed in
        seed = {"client_id": "04c1e0a50787408782a5a06fb04f6522", "redirect_uri": "http://localhost:8001"}
        other = authorize(session, idp.url, **{**CODE, **seed, "prompt": "none"})
        assert response_params(other.headers["location"])["error"] == "login_required"
        device = requests.post(f"{base}/oauth2/v1/device", data={"client_id": "tv", "scope": "openid"}).json()
        assert device["verification_uri"] == f"{base}/ui/v1/device"
