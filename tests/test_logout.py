"""`/oauth2/v1/userlogout`: ends the SSO session, redirects only to a registered post_logout_redirect_uri."""

from __future__ import annotations

import pytest
import requests

from tests.flows import ALICE, BYE, CALLBACK, SPA, WEBAPP, WEBAPP_SECRET, authorize, decode, response_params, sign_in

CODE = {"client_id": WEBAPP, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid"}


def signed_in(idp) -> tuple[requests.Session, str]:
    """A browser session signed in as Alice, and an ID token from it."""
    session = requests.Session()
    response = sign_in(session, session.get(idp.authorize_url, params=CODE), ALICE)
    code = response_params(response.headers["location"])["code"]
    tokens = requests.post(
        idp.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(WEBAPP, WEBAPP_SECRET),
    ).json()
    return session, tokens["id_token"]


def is_signed_in(idp, session: requests.Session) -> bool:
    response = authorize(session, idp.url, **CODE, prompt="none")
    return "code" in response_params(response.headers["location"])


def test_logout_redirects_to_a_registered_uri_with_state(flow_idp):
    session, id_token = signed_in(flow_idp)
    assert is_signed_in(flow_idp, session)
    response = session.get(
        flow_idp.logout_url,
        params={"post_logout_redirect_uri": BYE, "state": "bye-1", "id_token_hint": id_token},
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["location"] == f"{BYE}?state=bye-1"
    assert response.headers["set-cookie"].startswith('mockidp_session=""; expires=')
    assert not is_signed_in(flow_idp, session)
    # the next authorize shows the sign-in page again
    assert authorize(session, flow_idp.url, **CODE).headers["location"].startswith(f"{flow_idp.url}/ui/v1/signin?")


def test_logout_without_a_redirect_shows_a_page(flow_idp):
    session, _ = signed_in(flow_idp)
    response = session.get(flow_idp.logout_url, allow_redirects=False)
    assert response.status_code == 200
    assert "You have signed out of the identity domain." in response.text
    assert not is_signed_in(flow_idp, session)


def test_logout_by_post(flow_idp):
    session, id_token = signed_in(flow_idp)
    data = {"post_logout_redirect_uri": BYE, "id_token_hint": id_token}
    response = session.post(flow_idp.logout_url, data=data, allow_redirects=False)
    assert response.headers["location"] == BYE
    assert not is_signed_in(flow_idp, session)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"post_logout_redirect_uri": "https://evil.example.com/"},
         "The post_logout_redirect_uri https://evil.example.com/ is not registered on any client of this domain."),
        ({"post_logout_redirect_uri": "https://evil.example.com/", "client_id": WEBAPP},
         "The post_logout_redirect_uri https://evil.example.com/ is not registered on client webapp."),
        ({"post_logout_redirect_uri": CALLBACK, "client_id": WEBAPP},  # a redirect_uri, not a logout one
         f"The post_logout_redirect_uri {CALLBACK} is not registered on client webapp."),
        ({"post_logout_redirect_uri": "http://localhost:3000/", "hint": True},  # the SPA's; hint: webapp
         "The post_logout_redirect_uri http://localhost:3000/ is not registered on client webapp."),
        ({"post_logout_redirect_uri": BYE, "client_id": SPA, "hint": True},
         "The client_id spa is not the client of the id_token_hint."),
        ({"id_token_hint": "not-a-jwt"}, "The id_token_hint cannot be used: The token is not a JWT."),
    ],
)  # fmt: skip
def test_refused_logout_is_a_page_and_keeps_the_session(flow_idp, params, message):
    session, id_token = signed_in(flow_idp)
    if params.pop("hint", False):
        params["id_token_hint"] = id_token
    response = session.get(flow_idp.logout_url, params=params, allow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert f'id="message">{message} ECID: ' in response.text.replace("&#x27;", "'")
    assert is_signed_in(flow_idp, session)


def test_an_access_token_is_no_id_token_hint(flow_idp):
    session, _ = signed_in(flow_idp)
    access = requests.post(
        flow_idp.token_url,
        data={"grant_type": "client_credentials", "scope": "https://orders.example.com/read"},
        auth=(WEBAPP, WEBAPP_SECRET),
    ).json()["access_token"]
    response = session.get(flow_idp.logout_url, params={"id_token_hint": access})
    assert response.status_code == 400
    assert "The token is not an ID token (tok_type &#x27;AT&#x27;)." in response.text


def test_the_hint_ends_its_session_even_from_another_browser(flow_idp):
    session, id_token = signed_in(flow_idp)
    response = requests.get(
        flow_idp.logout_url, params={"post_logout_redirect_uri": BYE, "id_token_hint": id_token}, allow_redirects=False
    )
    assert response.headers["location"] == BYE
    assert not is_signed_in(flow_idp, session)


def test_an_expired_id_token_is_a_fine_hint(flow_idp):
    _, id_token = signed_in(flow_idp)
    flow_idp.domain.clock.advance(28800)  # the ID token lives as long as the session
    assert decode(flow_idp, id_token)["exp"] <= flow_idp.domain.clock.now()
    response = requests.get(
        flow_idp.logout_url, params={"post_logout_redirect_uri": BYE, "id_token_hint": id_token}, allow_redirects=False
    )
    assert response.headers["location"] == BYE
