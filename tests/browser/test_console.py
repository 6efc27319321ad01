"""The console (`/mockidp/console`) in a real browser (chromium via Playwright): the live journal and its
filters, the token decoder's verdicts, the domain at a glance, the control buttons, the flow debugger end to end,
the control-token prompt, keyboard use, and no console errors under the page's strict CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from mockidp.testing import MockIdP

pytestmark = pytest.mark.usefixtures("browser")

SEED, SEED_SECRET = "04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293"
SPA = "8c6b1f0e2d7a4c3b9e5f1a2b3c4d5e6f"
ORDERS_READ = "https://orders.example.com/read"
TOKEN = "console-control-token"


@pytest.fixture(scope="module")
def idp() -> Iterator[MockIdP]:
    with MockIdP() as server:
        yield server


@pytest.fixture
def console(browser: Browser, idp: MockIdP) -> Iterator[Page]:
    """The console in a fresh browser profile, on a freshly reset domain; the test fails on any script error or
    CSP violation the page reports."""
    idp.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{idp.url}/mockidp/console")
    expect(page.locator("#tenant")).to_have_text(re.compile(r"^idcs-"))
    yield page
    context.close()
    assert not problems, problems


WRONG_SECRET = "not-the-secret-3f9a"


def client_credentials(idp: MockIdP, secret: str = SEED_SECRET) -> requests.Response:
    return requests.post(
        idp.token_url,
        auth=(SEED, secret),
        data={"grant_type": "client_credentials", "scope": ORDERS_READ},
        timeout=10,
    )


def test_new_requests_appear_live_and_filter(console: Page, idp: MockIdP) -> None:
    rows = console.locator("#journal-rows tr")
    journal = console.locator("#journal")
    expect(rows).to_have_count(0)
    assert client_credentials(idp).status_code == 200
    assert client_credentials(idp, WRONG_SECRET).status_code == 401
    expect(rows).to_have_count(2)  # no reload: the console polls with an after=<id> cursor
    newest = rows.nth(0)
    expect(newest).to_contain_text("token")
    expect(newest).to_contain_text(SEED)
    expect(newest).to_contain_text("client_secret_basic")
    expect(newest).to_contain_text("401")
    expect(newest).to_contain_text("invalid_client")
    expect(rows.nth(1)).to_contain_text("client_credentials")
    expect(rows.nth(1).locator("td").nth(9)).to_have_text(re.compile(r"^\d+\.\d$"))  # the timing, in ms

    journal.get_by_label("Status").select_option("4xx")
    expect(rows).to_have_count(1)
    journal.get_by_label("Status").select_option("")
    journal.get_by_label("Endpoint").select_option("userinfo")
    expect(rows).to_have_count(0)
    expect(console.locator("#journal-empty")).to_have_text("No request matches the filters.")
    journal.get_by_label("Endpoint").select_option("")
    journal.get_by_label("Client").select_option(SPA)
    expect(rows).to_have_count(0)
    journal.get_by_label("Client").select_option(SEED)
    expect(rows).to_have_count(2)

    console.get_by_role("button", name=re.compile(r"Details of request \d+")).first.click()
    detail = console.locator("#journal-detail")
    expect(detail).to_contain_text("wrong client_secret for client")  # the precise reason, from the journal
    expect(detail).to_contain_text("client_credentials")
    assert WRONG_SECRET not in console.content() and SEED_SECRET not in console.content()  # secrets stay redacted


def test_the_decoder_accepts_a_good_token_and_says_why_others_are_rejected(console: Page, idp: MockIdP) -> None:
    good = client_credentials(idp).json()["access_token"]
    decoder = console.locator("#decoder")
    decoder.get_by_label("Token (JWT)").fill(good)
    decoder.get_by_role("button", name="Check token").click()
    expect(console.locator("#verdict-summary")).to_have_text("Valid: this identity domain accepts this token now.")
    expect(console.locator("[data-check=signature]")).to_contain_text("SIGNING_KEY")
    expect(console.locator("#token-header")).to_contain_text('"kid": "SIGNING_KEY"')
    expect(console.locator("[data-claim=exp] td").nth(1)).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\dT.*Z \(in 60 min\)$")
    )
    expect(console.locator("[data-claim=iat] td").nth(1)).to_have_text(re.compile(r"\((now|\d+ s ago)\)$"))

    cases = {
        "expired": r"Rejected: The token expired at \d{4}-",
        "not_yet_valid": r"Rejected: The token is not valid before",
        "wrong_issuer": r"Rejected: The token's iss 'https://wrong-issuer.example.com/' is not",
        "bad_signature": r"Rejected: The token signature does not verify",
        "unknown_kid": r"Rejected: The token was not signed by a key of this identity domain",
        "alg_none": r"Rejected: The token was not signed by a key|Rejected: The token is malformed",
    }
    for defect, reason in cases.items():
        minted = idp.mint_token(SEED, defects=[defect])
        decoder.get_by_label("Token (JWT)").fill(minted)
        decoder.get_by_role("button", name="Check token").click()
        expect(console.locator("#verdict-summary")).to_have_text(re.compile(reason), timeout=5000)

    decoder.get_by_label("Token (JWT)").fill(good)
    decoder.get_by_label("Expected audience (optional)").fill("https://other.example.com/")
    decoder.get_by_role("button", name="Check token").click()
    expect(console.locator("#verdict-summary")).to_have_text(re.compile(r"aud 'https://orders.example.com/' does not"))

    requests.post(idp.revoke_url, auth=(SEED, SEED_SECRET), data={"token": good}, timeout=10).raise_for_status()
    decoder.get_by_label("Expected audience (optional)").fill("")
    decoder.get_by_role("button", name="Check token").click()
    expect(console.locator("#verdict-summary")).to_have_text("Rejected: The token has been revoked.")

    decoder.get_by_label("Token (JWT)").fill("not a token")
    decoder.get_by_role("button", name="Check token").click()
    expect(console.locator("#verdict-summary")).to_have_text("Rejected: The token is not a JWT.")


def test_the_domain_at_a_glance(console: Page, idp: MockIdP) -> None:
    expect(console.locator("#users-table tbody tr")).to_have_count(3)
    expect(console.locator("#users-table")).to_contain_text("bob@example.com")
    expect(console.locator("#users-table")).to_contain_text("Developers, Orders Admins")
    clients = console.locator("#clients-table")
    expect(clients.locator("tbody tr")).to_have_count(3)
    expect(clients).to_contain_text("http://localhost:3000/callback")
    expect(clients).to_contain_text("device_code")
    expect(console.locator("#resources-table")).to_contain_text("https://orders.example.com/write")
    expect(console.locator("#keys-table")).to_contain_text("SIGNING_KEY")
    expect(console.locator("#domain-facts")).to_contain_text("https://identity.oraclecloud.com/")
    expect(console.locator("#clock-note")).to_have_text("(real time)")


def test_the_control_buttons(console: Page, idp: MockIdP) -> None:
    control = console.locator("#control")
    control.get_by_label("Endpoint", exact=True).select_option("token")
    control.get_by_label("What happens").select_option("error:temporarily_unavailable")
    control.get_by_label("For the next N requests").fill("2")
    control.get_by_role("button", name="Queue fault").click()
    expect(console.locator("#notice")).to_have_text("Fault queued for the next 2 token requests.")
    assert client_credentials(idp).status_code == 503
    (fault,) = idp.faults()
    assert fault["hits"] == 1 and fault["remaining"] == 1

    control.get_by_label("Seconds to move (negative goes back)").fill("7200")
    control.get_by_role("button", name="Advance").click()
    expect(console.locator("#clock-note")).to_have_text(re.compile(r"\(\+7200 s from real time\)"))
    assert 7199 < idp.clock.state()["offset"] < 7201
    control.get_by_role("button", name="Freeze", exact=True).click()
    expect(console.locator("#clock-note")).to_have_text(re.compile(r"frozen"))

    control.get_by_role("button", name="Rotate key").click()
    expect(console.locator("#keys-table tbody tr")).to_have_count(2)
    (active,) = [k["kid"] for k in idp.keys() if k["status"] == "active"]  # SIGNING_KEY_<n>: kids outlive resets
    expect(console.locator(f"[data-kid={active}]")).to_contain_text("active")
    console.get_by_role("button", name="Retire SIGNING_KEY", exact=True).click()
    expect(console.locator("[data-kid=SIGNING_KEY]")).to_contain_text("retired")  # listed, no longer published
    assert [k["kid"] for k in requests.get(idp.jwks_url, timeout=10).json()["keys"]] == [active]

    control.get_by_label("Client", exact=True).select_option(SEED)
    control.get_by_label("User", exact=True).select_option("bob@example.com")
    control.get_by_label("Kind", exact=True).select_option("id")
    control.get_by_label("expired", exact=True).check()
    control.get_by_role("button", name="Mint token").click()
    expect(console.locator("#minted-token")).to_have_text(re.compile(r"^eyJ"))
    console.get_by_role("button", name="Check in the decoder").click()
    expect(console.locator("#verdict-summary")).to_have_text(re.compile(r"^Rejected: The token expired at"))
    expect(console.locator("[data-claim=sub]")).to_contain_text("bob@example.com")

    control.get_by_role("button", name="Reset domain").click()
    expect(console.locator("#notice")).to_have_text("Domain reset to the fixtures.")
    expect(console.locator("#keys-table tbody tr")).to_have_count(1)
    expect(console.locator("#clock-note")).to_have_text("(real time)")
    assert idp.faults() == []


@pytest.mark.parametrize("client_id", [SEED, SPA], ids=["confidential", "public"])
def test_the_flow_debugger_runs_code_with_pkce_for_any_client(console: Page, idp: MockIdP, client_id: str) -> None:
    debugger = console.locator("#debugger")
    debugger.get_by_label("Client").select_option(client_id)
    debugger.get_by_label("Scope").fill("openid profile email")
    debugger.get_by_role("button", name="Start flow").click()
    expect(console.get_by_role("heading", name="Sign In", exact=True)).to_be_visible()
    console.get_by_role("button", name=re.compile(r"bob@example.com")).click()
    expect(console.locator("#flow-result")).to_have_text("Signed in as bob@example.com.")
    assert console.url == f"{idp.url}/mockidp/console#debugger"  # the code left the address bar
    steps = console.locator("#flow-steps")
    expect(steps).to_contain_text("code_challenge_method")
    expect(steps).to_contain_text("5. Token response: HTTP 200")
    expect(steps).to_contain_text("6. ID token: valid")
    expect(steps).to_contain_text("6. Access token: valid")
    expect(console.locator("#flow-userinfo")).to_contain_text('"email": "bob@example.com"')
    assert SEED_SECRET not in console.content()
    token_request = idp.requests("token")[-1]
    assert token_request.grant_type == "authorization_code" and token_request.client_id == client_id
    assert token_request.auth_method == ("client_secret_basic" if client_id == SEED else "none")
    assert idp.requests("authorize")[-1].pkce_method == "S256"


FOCUSED = """() => {
    const e = document.activeElement;
    return e.matches("input, select, textarea") ? e.id : e.textContent.trim();
}"""


def test_keyboard_only(console: Page, idp: MockIdP) -> None:
    """Tab reaches the sections' controls in reading order; Enter works the buttons; every field has a label."""
    unlabelled = console.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((e) => !(e.labels && e.labels.length) && !e.closest('label'))
            .map((e) => e.id || e.outerHTML)"""
    )
    assert unlabelled == []
    console.locator("body").focus()
    order = []
    for _ in range(10):
        console.keyboard.press("Tab")
        order.append(console.evaluate(FOCUSED))
    assert order[:5] == ["Requests", "Token decoder", "Domain", "Control", "Flow debugger"]
    assert order[5:9] == ["filter-client", "filter-endpoint", "filter-status", "journal-live"]

    good = client_credentials(idp).json()["access_token"]
    console.locator("#token-input").focus()
    console.keyboard.insert_text(good)
    console.keyboard.press("Tab")  # the audience field
    console.keyboard.press("Tab")  # the Check token button
    assert console.evaluate("() => document.activeElement.textContent") == "Check token"
    console.keyboard.press("Enter")
    expect(console.locator("#verdict-summary")).to_have_text(re.compile(r"^Valid"))

    console.locator("#clock-seconds").focus()
    console.keyboard.press("Control+A")
    console.keyboard.type("60")
    console.keyboard.press("Enter")  # submits the clock form: Advance
    expect(console.locator("#clock-note")).to_have_text(re.compile(r"\(\+60 s from real time\)"))
    console.locator("#key-rotate").focus()
    console.keyboard.press("Enter")
    expect(console.locator("#keys-table tbody tr")).to_have_count(2)


def test_with_a_control_token_it_asks_for_it_and_keeps_it_in_the_tab(browser: Browser) -> None:
    with MockIdP(control_token=TOKEN) as guarded:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{guarded.url}/mockidp/console")
        field = page.get_by_role("textbox", name="Control token")
        expect(field).to_be_focused()
        field.fill("wrong")
        page.keyboard.press("Enter")
        expect(page.locator("#unlock-message")).to_have_text("That control token was refused.")
        page.get_by_role("textbox", name="Control token").fill(TOKEN)
        page.get_by_role("button", name="Unlock").click()
        expect(page.locator("#unlock")).to_be_hidden()
        expect(page.locator("#users-table tbody tr")).to_have_count(3)
        assert page.evaluate("() => sessionStorage.getItem('mockidp.controlToken')") == TOKEN
        assert page.evaluate("() => localStorage.length") == 0 and context.cookies() == []
        page.reload()  # the same tab keeps it
        expect(page.locator("#users-table tbody tr")).to_have_count(3)
        expect(page.locator("#unlock")).to_be_hidden()
        other = context.new_page()  # another tab does not
        other.goto(f"{guarded.url}/mockidp/console")
        expect(other.get_by_role("textbox", name="Control token")).to_be_visible()
        other.close()
        debugger = page.locator("#debugger")  # the debugger's round trip keeps the tab's token
        debugger.get_by_label("Client").select_option(SPA)
        debugger.get_by_role("button", name="Start flow").click()
        page.get_by_role("button", name=re.compile(r"user@example.com")).click()
        expect(page.locator("#flow-result")).to_have_text("Signed in as user@example.com.")
        context.close()
