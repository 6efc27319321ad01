"""The browser flows in a real browser (chromium via Playwright): a relying party signs its user in with code +
PKCE through the sign-in page — one-click, password, wrong password, Cancel — reuses the SSO session, forces the
page with prompt=login, logs out, uses form_post; and a user approves a device on the verification page."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.flows import ALICE, BOB, PASSWORD, TV

pytestmark = pytest.mark.usefixtures("browser")


@pytest.fixture
def rp(relying_party):
    return relying_party[0]


@pytest.fixture
def idp(relying_party):
    return relying_party[1]


def visited(page: Page) -> list[str]:
    """Every URL the page's main frame navigates to, from now on."""
    urls: list[str] = []
    page.on("framenavigated", lambda frame: urls.append(frame.url) if frame == page.main_frame else None)
    return urls


def expect_sign_in_page(page: Page, idp) -> None:
    expect(page).to_have_url(re.compile(re.escape(f"{idp.url}/ui/v1/signin")))
    expect(page.get_by_role("heading", name="Sign In", exact=True)).to_be_visible()
    expect(page.get_by_text("to continue to Relying Party")).to_be_visible()


def sign_in_with_password(page: Page, user: str, password: str = PASSWORD) -> None:
    page.get_by_label("User Name", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign In", exact=True).click()


def expect_signed_in(page: Page, rp, user: str) -> None:
    expect(page.locator("#result")).to_have_text(f"Signed in as {user}")
    assert page.url.startswith(rp.callback)


def test_code_with_pkce_and_one_click_sign_in(page, rp, idp):
    page.goto(f"{rp.url}/login")
    expect_sign_in_page(page, idp)
    page.get_by_role("button", name=re.compile(r"Alice Example")).click()
    expect_signed_in(page, rp, ALICE)
    assert rp.claims["aud"] == ["https://identity.oraclecloud.com/", "relying-party"]
    assert rp.claims["tok_type"] == "IT"
    cookie = next(c for c in page.context.cookies() if c["name"] == "mockidp_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Lax", False)


def test_password_sign_in(page, rp, idp):
    page.goto(f"{rp.url}/login")
    expect_sign_in_page(page, idp)
    sign_in_with_password(page, BOB)
    expect_signed_in(page, rp, BOB)


def test_wrong_password_then_the_right_one(page, rp, idp):
    page.goto(f"{rp.url}/login")
    sign_in_with_password(page, ALICE, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("The user name or password is incorrect.")
    expect(page.get_by_label("User Name", exact=True)).to_have_value(ALICE)
    expect_sign_in_page(page, idp)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect_signed_in(page, rp, ALICE)


def test_cancel_returns_access_denied(page, rp, idp):
    page.goto(f"{rp.url}/login")
    expect_sign_in_page(page, idp)
    page.get_by_role("button", name="Cancel").click()  # the empty required fields do not block it
    expect(page.locator("#result")).to_have_text("Error: access_denied")


def test_the_session_skips_the_page_and_prompt_login_forces_it(page, rp, idp):
    page.goto(f"{rp.url}/login")
    page.get_by_role("button", name=re.compile(r"Alice Example")).click()
    expect_signed_in(page, rp, ALICE)
    first_sid = rp.claims["sid"]

    urls = visited(page)
    page.goto(f"{rp.url}/login")
    expect_signed_in(page, rp, ALICE)
    assert not any("/ui/v1/signin" in url for url in urls), urls
    assert rp.claims["sid"] == first_sid

    page.goto(f"{rp.url}/login?prompt=login")
    expect_sign_in_page(page, idp)
    sign_in_with_password(page, BOB)
    expect_signed_in(page, rp, BOB)
    assert rp.claims["sid"] != first_sid


def test_logout_ends_the_session(page, rp, idp):
    page.goto(f"{rp.url}/login")
    page.get_by_role("button", name=re.compile(r"Alice Example")).click()
    expect_signed_in(page, rp, ALICE)
    page.goto(f"{rp.url}/logout")
    expect(page.locator("#result")).to_have_text("Signed out")
    assert not any(c["name"] == "mockidp_session" for c in page.context.cookies())
    page.goto(f"{rp.url}/login")
    expect_sign_in_page(page, idp)


def test_form_post_submits_itself_under_the_content_security_policy(page, rp, idp):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{rp.url}/login?response_mode=form_post")
    page.get_by_role("button", name=re.compile(r"Alice Example")).click()
    expect_signed_in(page, rp, ALICE)
    assert problems == []


def test_the_sign_in_page_works_without_javascript(browser, rp, idp):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{rp.url}/login")
        expect_sign_in_page(page, idp)
        sign_in_with_password(page, ALICE)
        expect_signed_in(page, rp, ALICE)
    finally:
        context.close()


def test_device_verification(page, idp):
    device = requests.post(
        f"{idp.url}/oauth2/v1/device", data={"response_type": "device_code", "scope": "openid", "client_id": TV}
    ).json()
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": device["device_code"]}
    assert requests.post(idp.token_url, data={**poll, "client_id": TV}).json()["error"] == "authorization_pending"

    page.goto(device["verification_uri"])
    expect(page.get_by_role("heading", name="Connect a device")).to_be_visible()
    page.get_by_label("Code").fill(device["user_code"].lower())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Sign In", exact=True)).to_be_visible()
    expect(page.get_by_text("to continue to Living-room TV")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Bob Example")).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    expect(page.get_by_text("Signed in as bob@example.com")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Device connected")).to_be_visible()

    idp.domain.clock.advance(5)
    try:
        tokens = requests.post(idp.token_url, data={**poll, "client_id": TV})
    finally:
        idp.domain.clock.reset()
    assert tokens.status_code == 200, tokens.text
    assert set(tokens.json()) == {"access_token", "token_type", "expires_in", "id_token"}
