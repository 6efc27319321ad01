"""Browser tests: Playwright (Python) driving Debian's chromium — never a browser Playwright downloads.

The `browser` fixture, and its one rule (no /usr/bin/chromium: skip, but with CI=true fail, since `.ci/run`
installs it), is `tests/browser_support.py`'s, shared with the CORS tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from mockidp.testing import MockIdP
from tests.browser.relying_party import RelyingParty
from tests.browser_support import browser  # noqa: F401 - the shared fixture
from tests.flows import write_flow_fixtures

RP_CLIENT, RP_SECRET = "relying-party", "relying-party-secret"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811 - the imported fixture, by name
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
