"""The browser flows under the control plane: faults at authorize, the journal of sign-ins, users added at run
time, the clock moved over HTTP, and reset."""

from __future__ import annotations

import pytest
import requests

from mockidp.testing import MockIdP
from tests.flows import (
    ALICE,
    CALLBACK,
    WEBAPP,
    WEBAPP_SECRET,
    authorize,
    forms,
    one_click_form,
    sign_in,
    write_flow_fixtures,
)
from tests.flows import response_params as params_of

CODE = {"client_id": WEBAPP, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid", "state": "c-1"}


@pytest.fixture
def idp(tmp_path):
    with MockIdP(write_flow_fixtures(tmp_path)) as server:
        yield server


def test_an_authorize_fault_answers_in_the_response_mode_asked_for(idp):
    idp.fault("authorize", error="login_required", times=2)
    page = authorize(requests.Session(), idp.url, **CODE, response_mode="form_post")
    (form,) = forms(page.text)
    assert (form.action, form.fields["error"], form.fields["state"]) == (CALLBACK, "login_required", "c-1")
    fragment = authorize(requests.Session(), idp.url, **CODE, response_mode="fragment")
    assert fragment.headers["location"].startswith(f"{CALLBACK}#error=login_required&")


def test_the_journal_keeps_no_password_or_csrf_token(idp):
    session = requests.Session()
    page = session.get(idp.authorize_url, params=CODE)
    assert sign_in(session, page, ALICE, "wrong").status_code == 401
    (entry,) = [e for e in idp.requests() if e.path == "/ui/v1/signin" and e.method == "POST"]
    assert entry.status == 401
    assert entry.error == "invalid_credentials"
    assert entry.params["password"] == "[redacted]"
    assert entry.params["csrf_token"] == "[redacted]"
    assert entry.params["username"] == ALICE
    (authorize_entry,) = idp.requests("authorize")
    assert (authorize_entry.client_id, authorize_entry.status) == (WEBAPP, 302)


def test_a_user_added_at_run_time_can_sign_in_and_a_removed_one_cannot(idp):
    idp.add_user("carol@example.com", password="Welcome1!", name="Carol Runtime")
    session = requests.Session()
    page = session.get(idp.authorize_url, params=CODE)
    assert "Carol Runtime" in page.text
    assert one_click_form(page.text, "carol@example.com") is not None
    idp.remove_user(ALICE)
    page = session.get(idp.authorize_url, params=CODE)
    assert ALICE not in page.text
    assert sign_in(session, page, ALICE).status_code == 401
    response = sign_in(session, page, "carol@example.com")
    assert response.status_code == 302
    code = params_of(response.headers["location"])["code"]
    tokens = requests.post(
        idp.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(WEBAPP, WEBAPP_SECRET),
    )
    assert tokens.status_code == 200


def test_the_clock_over_http_ends_sessions_and_reset_forgets_them(idp):
    session = requests.Session()
    page = session.get(idp.authorize_url, params=CODE)
    sign_in(session, page, ALICE)
    assert "code" in params_of(authorize(session, idp.url, **CODE, prompt="none").headers["location"])
    idp.clock.advance(8 * 3600)
    assert params_of(authorize(session, idp.url, **CODE, prompt="none").headers["location"])["error"] == (
        "login_required"
    )
    idp.reset()
    sign_in(session, session.get(idp.authorize_url, params=CODE), ALICE)
    idp.reset()  # sessions are state: gone with the reset
    assert params_of(authorize(session, idp.url, **CODE, prompt="none").headers["location"])["error"] == (
        "login_required"
    )
