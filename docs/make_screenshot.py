"""Make docs/signin.png: the sign-in page of the shipped fixtures/default, in Debian's chromium.

    .venv/bin/python docs/make_screenshot.py

Needs /usr/bin/chromium (apt-get install chromium); Playwright drives it and downloads no browser.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

from mockidp.testing import MockIdP

OUT = Path(__file__).parent / "signin.png"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main() -> None:
    with MockIdP() as idp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 760, "height": 900})
        query = {
            "client_id": "04c1e0a50787408782a5a06fb04f6522",
            "response_type": "code",
            "redirect_uri": "http://localhost:8001",
            "scope": "openid profile email",
            "state": "docs",
        }
        page.goto(f"{idp.authorize_url}?{urlencode(query)}")
        page.get_by_role("heading", name="Sign In", exact=True).wait_for()
        page.screenshot(path=str(OUT), full_page=True)
        browser.close()
    print(OUT)


if __name__ == "__main__":
    main()
