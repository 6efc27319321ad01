"""Implicit and hybrid response types in the fragment, checked by Authlib's OpenID Connect ID token rules
(at_hash, c_hash, nonce), and the form_post response mode."""

from __future__ import annotations

import pytest
import requests
from authlib.oidc.core import HybridIDToken, ImplicitIDToken

from tests.flows import ALICE, CALLBACK, WEBAPP, WEBAPP_SECRET, authorize, decode, forms, response_params, sign_in

ISSUER = "https://identity.oraclecloud.com/"


def signed_in(idp) -> requests.Session:
    """A browser session already signed in as Alice."""
    session = requests.Session()
    params = {"client_id": WEBAPP, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid"}
    page = session.get(idp.authorize_url, params=params)
    assert sign_in(session, page, ALICE).status_code == 302
    return session


def request(response_type: str, **extra: str) -> dict[str, str]:
    return {
        "client_id": WEBAPP,
        "response_type": response_type,
        "redirect_uri": CALLBACK,
        "scope": "openid email https://orders.example.com/read",
        "state": "st-9",
        "nonce": "nonce-9",
        **extra,
    }


@pytest.mark.parametrize(
    ("response_type", "members"),
    [
        ("token", {"access_token", "token_type", "expires_in", "state"}),
        ("id_token", {"id_token", "state"}),
        ("id_token token", {"access_token", "token_type", "expires_in", "id_token", "state"}),
        ("token id_token", {"access_token", "token_type", "expires_in", "id_token", "state"}),
        ("code id_token", {"code", "id_token", "state"}),
        ("code token", {"code", "access_token", "token_type", "expires_in", "state"}),
        ("code id_token token", {"code", "access_token", "token_type", "expires_in", "id_token", "state"}),
    ],
)
def test_response_types_in_the_fragment(flow_idp, response_type, members):
    response = authorize(signed_in(flow_idp), flow_idp.url, **request(response_type))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "#")
    params = response_params(location)
    assert set(params) == members
    assert params["state"] == "st-9"
    now = int(flow_idp.domain.clock.now())

    if "access_token" in params:
        assert (params["token_type"], params["expires_in"]) == ("Bearer", "3600")
        access = decode(flow_idp, params["access_token"])
        assert (access["sub"], access["aud"], access["scope"]) == (
            ALICE,
            "https://orders.example.com/",
            "read openid email",
        )
        assert access["gtp"] == "imp"
        userinfo = requests.get(flow_idp.userinfo_url, headers={"Authorization": f"Bearer {params['access_token']}"})
        assert userinfo.json()["email"] == ALICE

    if "id_token" in params:
        claims = decode(flow_idp, params["id_token"])
        assert (claims["tok_type"], claims["aud"], claims["azp"]) == ("IT", [ISSUER, WEBAPP], WEBAPP)
        assert claims["exp"] == claims["session_exp"]
        rules = HybridIDToken if "code" in params else ImplicitIDToken
        checks = {"nonce": "nonce-9", "client_id": WEBAPP}
        checks.update({key: params[key] for key in ("access_token", "code") if key in params})
        rules(claims, {"alg": "RS256"}, {"aud": {"essential": True, "value": WEBAPP}}, checks).validate(now=now)
        assert ("at_hash" in claims) == ("access_token" in params)
        assert ("c_hash" in claims) == ("code" in params)

    if "code" in params:  # the hybrid code is redeemable, and carries the nonce into the token endpoint's ID token
        tokens = requests.post(
            flow_idp.token_url,
            data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": CALLBACK},
            auth=(WEBAPP, WEBAPP_SECRET),
        ).json()
        assert decode(flow_idp, tokens["id_token"])["nonce"] == "nonce-9"


def test_implicit_needs_a_sign_in_like_any_other(flow_idp):
    session = requests.Session()
    page = session.get(flow_idp.authorize_url, params=request("id_token token"))
    assert page.url.startswith(f"{flow_idp.url}/ui/v1/signin")
    params = response_params(sign_in(session, page, ALICE).headers["location"])
    assert set(params) == {"access_token", "token_type", "expires_in", "id_token", "state"}


def test_form_post_renders_an_auto_submitting_form(flow_idp):
    response = authorize(signed_in(flow_idp), flow_idp.url, **request("code id_token", response_mode="form_post"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    (form,) = forms(response.text)
    assert (form.action, form.method) == (CALLBACK, "post")
    assert set(form.fields) == {"code", "id_token", "state"}
    assert set(form.inputs.values()) == {"hidden"}
    assert "<script>document.forms[0].submit();</script>" in response.text
    assert "<noscript>" in response.text  # works without JavaScript too
    csp = response.headers["content-security-policy"]
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp


def test_query_mode_for_a_code_only(flow_idp):
    response = authorize(signed_in(flow_idp), flow_idp.url, **request("code", response_mode="fragment"))
    assert response.headers["location"].startswith(CALLBACK + "#code=")
