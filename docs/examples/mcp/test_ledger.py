"""The pytest example of docs/mcp.md: mockidp's pytest plugin gives the `mockidp` fixture (a real server on this
folder's fixtures: `pytest --mockidp-fixtures fixtures`), the MCP server runs inside the test on a free port,
and the real MCP SDK client signs in by posting the sign-in form, as a script does."""

import socket
import threading
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
import pytest
import uvicorn
from client import call_balance
from mcp.shared.auth import AuthorizationCodeResult
from server import make_server


class SignInForm(HTMLParser):
    """The inputs of the sign-in page's password form (every hidden one is posted back unchanged)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


class FormSignIn:
    """The agent's browser: follow the authorization URL to the sign-in page and post the password form."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password, self.result = user, password, None

    async def open(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            to_sign_in = await http.get(authorization_url)
            page = await http.get(urljoin(authorization_url, to_sign_in.headers["location"]))
            parser = SignInForm()
            parser.feed(page.text)
            action, fields = next(form for form in parser.forms if "password" in form[1])
            fields.update(username=self.user, password=self.password)
            back = await http.post(urljoin(str(page.url), action), data=fields)
        query = parse_qs(urlsplit(back.headers["location"]).query)
        self.result = AuthorizationCodeResult(code=query["code"][0], state=query["state"][0])

    async def callback(self) -> AuthorizationCodeResult:
        return self.result


@pytest.fixture
def ledger(mockidp):
    """The MCP server on a free port, registered with the identity domain as a resource app by its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mcp_url = f"http://127.0.0.1:{port}/mcp"
    mockidp.add_resource(mcp_url, name="Ledger MCP server (test)", scopes=["ledger.read"])
    server = uvicorn.Server(uvicorn.Config(make_server(mockidp.url, mcp_url).streamable_http_app(), port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield mcp_url
    server.should_exit = True
    thread.join()


@pytest.mark.anyio
async def test_agent_reads_the_balance(mockidp, ledger):
    answer = await call_balance(ledger, FormSignIn("dana@example.com", "Welcome1!"))
    assert answer == "dana@example.com: 42.00 EUR (client https://agent.example.com/oauth/client.json)"
    [token] = mockidp.requests("token")
    assert (token.client_id, token.params["resource"]) == ("https://agent.example.com/oauth/client.json", ledger)


@pytest.mark.anyio
async def test_agent_with_a_wrong_password_gets_no_token(mockidp, ledger):
    with pytest.raises(BaseException):  # the sign-in page answers 401 instead of redirecting with a code
        await call_balance(ledger, FormSignIn("dana@example.com", "wrong"))
    assert mockidp.requests("token") == []


@pytest.fixture
def anyio_backend():
    return "asyncio"
