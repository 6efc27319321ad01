"""Browser tests: Playwright (Python) driving Debian's chromium — never a browser Playwright downloads.

Without /usr/bin/chromium the tests skip, except in CI (`CI=true`), where that is a failure: `.ci/run` installs
chromium, so a missing one means the tests did not run where they must.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from mockidp.testing import MockIdP
from tests.browser.relying_party import RelyingParty
from tests.flows import write_flow_fixtures

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RP_CLIENT, RP_SECRET = "relying-party", "relying-party-secret"


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's chromium, or a skip (a failure in CI) saying why not."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium is not installed at {CHROMIUM}, and CI=true: the browser tests must run in CI")
        pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped, not session-scoped: while Playwright's sync API lives it keeps an asyncio loop running in
    the main thread, and tests elsewhere that call asyncio.run() must not run inside it."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) per test."""
    context = browser.new_context()
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def relying_party(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RelyingParty, MockIdP]]:
    """The relying party and a mockidp server whose fixtures register it (its port is known only once bound)."""
    rp = RelyingParty()
    directory = write_flow_fixtures(tmp_path_factory.mktemp("browser"))
    (directory / "relying-party.toml").write_text(
        textwrap.dedent(f"""
            [[clients]]
            client_id = "{RP_CLIENT}"
            client_secret = "{RP_SECRET}"
            name = "Relying Party"
            grant_types = ["authorization_code"]
            redirect_uris = ["{rp.callback}"]
            post_logout_redirect_uris = ["{rp.bye}"]
        """)
    )
    with MockIdP(directory) as idp:
        rp.start(idp.url, RP_CLIENT, RP_SECRET)
        yield rp, idp
        rp.stop()
