"""`MockIdP`: a real mockidp server on a free port in a background thread, for tests and scripts.

with MockIdP() as idp:
    requests.post(idp.token_url, data={...})
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from mockidp.core.domain import IdentityDomain
from mockidp.paths import default_fixtures
from mockidp.server import Server, bind, make_server, url_for
from mockidp.web.app import create_app
from mockidp.web.context import ServerSettings


class MockIdP:
    def __init__(
        self,
        fixtures: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        log_level: str = "warning",
    ) -> None:
        self.fixtures = Path(fixtures) if fixtures is not None else default_fixtures()
        self.host, self.port = host, port
        self.public_url = public_url
        self.log_level = log_level
        self.domain: IdentityDomain | None = None
        self.url = ""  # the URL clients use: public_url if given, else the bound address
        self.bound_url = ""  # where the server actually listens
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> MockIdP:
        if self._thread is not None:
            return self
        self.domain = IdentityDomain.load(self.fixtures)
        sock = bind(self.host, self.port)
        self.bound_url = url_for(sock)
        self.url = self.public_url or self.bound_url
        app = create_app([self.domain], ServerSettings(public_url=self.public_url))
        ready = threading.Event()
        self._server = make_server(app, log_level=self.log_level, on_ready=ready.set)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="mockidp", daemon=True
        )
        self._thread.start()
        while not ready.wait(0.05):
            if not self._thread.is_alive():
                raise RuntimeError("the mockidp server thread stopped before it was ready; see the log")
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> MockIdP:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- URLs ------------------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        assert self.domain is not None, "start the server first"
        return self.domain.urls(self.url).issuer

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/v1/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/oauth2/v1/authorize"

    @property
    def userinfo_url(self) -> str:
        return f"{self.url}/oauth2/v1/userinfo"

    @property
    def introspect_url(self) -> str:
        return f"{self.url}/oauth2/v1/introspect"

    @property
    def revoke_url(self) -> str:
        return f"{self.url}/oauth2/v1/revoke"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/admin/v1/SigningCert/jwk"
