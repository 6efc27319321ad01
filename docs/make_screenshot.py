"""Make docs/signin.png (the sign-in page) and docs/console.png (the console), from the shipped
fixtures/default, in Debian's chromium.

    .venv/bin/python docs/make_screenshot.py

Needs /usr/bin/chromium (apt-get install chromium); Playwright drives it and downloads no browser.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import requests
from playwright.sync_api import Browser, sync_playwright

from mockidp.testing import MockIdP

HERE = Path(__file__).parent
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SEED, SEED_SECRET = "04c1e0a50787408782a5a06fb04f6522", "5ec4e132-6cb8-4499-97fe-0c444faff293"


def sign_in_page(browser: Browser, idp: MockIdP) -> Path:
    out = HERE / "signin.png"
    page = browser.new_page(viewport={"width": 760, "height": 900})
    query = {
        "client_id": SEED,
        "response_type": "code",
        "redirect_uri": "http://localhost:8001",
        "scope": "openid profile email",
        "state": "docs",
    }
    page.goto(f"{idp.authorize_url}?{urlencode(query)}")
    page.get_by_role("heading", name="Sign In", exact=True).wait_for()
    page.screenshot(path=str(out), full_page=True)
    page.close()
    return out


def console(browser: Browser, idp: MockIdP) -> Path:
    """The console after a few requests (one refused), with a token in the decoder."""
    out = HERE / "console.png"
    idp.reset()
    for secret in (SEED_SECRET, SEED_SECRET, "a-wrong-secret"):
        requests.post(
            idp.token_url,
            auth=(SEED, secret),
            data={"grant_type": "client_credentials", "scope": "https://orders.example.com/read"},
            timeout=10,
        )
    requests.get(idp.jwks_url, timeout=10)
    page = browser.new_page(viewport={"width": 1280, "height": 1180})
    page.goto(f"{idp.url}/mockidp/console")
    page.locator("#journal-rows tr").nth(3).wait_for()
    page.locator("#token-input").fill(idp.mint_token(SEED, user="bob@example.com", kind="id", defects=["expired"]))
    page.get_by_role("button", name="Check token").click()
    page.locator("#verdict-summary").wait_for()
    page.screenshot(path=str(out))
    page.close()
    return out


def main() -> None:
    with MockIdP() as idp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        print(sign_in_page(browser, idp))
        print(console(browser, idp))
        browser.close()


if __name__ == "__main__":
    main()
