"""`MockIdP`: a real mockidp server on a free port in a background thread — or one already running, such as a
container, attached by URL — with the control plane as typed methods.

    with MockIdP() as idp:
        with idp.fault("token", error="temporarily_unavailable", times=2):
            ...                                    # the client under test retries
        assert [r.status for r in idp.requests("token")] == [503, 503, 200]

Every control method is a real HTTP call to `/mockidp/v1`, so the same code drives an in-process server and a
container (`MockIdP.attach("http://localhost:8080", control_token=…)`).

`MockIdP(fixtures=[dir_a, dir_b])` serves several identity domains (`idp.domains`, `idp.tenant_url(tenant)`);
`MockIdP(tls=True)` serves HTTPS with the local CA of `mockidp.tls` (`idp.ca_path` for `verify=`).
`MockIdP(store="redis://127.0.0.1:6379/0")` keeps the state in Redis: servers on the same store and fixtures
(other `MockIdP`s, `mockidp serve --store …` processes) are then one identity domain.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from mockidp.paths import default_fixtures


class ControlPlaneError(Exception):
    """The control plane refused a call; `problems` lists every problem it found."""

    def __init__(self, status: int, error: str, description: str, problems: list[str] | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.problems = problems or []


class _Control:
    """JSON over HTTP to one server's control plane (stdlib only: mockidp's test helpers need no extra package)."""

    def __init__(self, base_url: str, token: str | None, cafile: Path | None = None) -> None:
        self.base = base_url.rstrip("/") + "/mockidp/v1"
        self.token = token
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]  # local or a container
        if cafile is not None:  # served with the local CA (tls=True)
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=cafile)))
        self._opener = urllib.request.build_opener(*handlers)

    def call(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> Any:
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http(s) URL we built
        try:
            with self._opener.open(request, timeout=60) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {"error": "http_error", "error_description": raw.decode("utf-8", "replace")[:500]}
            raise ControlPlaneError(
                exc.code, answer.get("error", ""), answer.get("error_description", ""), answer.get("problems")
            ) from None
        return json.loads(payload) if payload else None


@dataclasses.dataclass(frozen=True)
class JournalEntry:
    """One request a client sent to the identity domain, as the journal recorded it (secrets redacted)."""

    id: int
    time: float
    method: str
    path: str
    endpoint: str
    status: int | None  # None: the connection was dropped on purpose
    grant_type: str | None = None
    client_id: str | None = None
    auth_method: str | None = None
    pkce_method: str | None = None
    scopes: tuple[str, ...] = ()
    user: str | None = None
    authorization: str | None = None
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    error: str | None = None
    reason: str | None = None
    fault: str | None = None
    body: Any = None  # the JSON body of an /admin/v1 request, passwords and secrets redacted

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalEntry:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}  # a newer server may say more
        values["scopes"] = tuple(values.get("scopes") or ())
        return cls(**values)


class Fault:
    """A queued fault. As a context manager it is deleted on exit, so it cannot leak into the next test; what it
    did (`hits`, `record`) stays readable afterwards, as it was when it was deleted."""

    def __init__(self, control: _Control, record: Mapping[str, Any]) -> None:
        self._control = control
        self.id: str = record["id"]
        self.endpoint: str = record["endpoint"]
        self.record = dict(record)
        self._deleted = False

    def refresh(self) -> dict[str, Any]:
        """The fault as the server has it now (after `delete`: as it was then)."""
        if not self._deleted:
            self.record = self._control.call("GET", f"/faults/{self.id}")
        return self.record

    @property
    def hits(self) -> int:
        """How many requests this fault has answered (so far, or until it was deleted)."""
        return int(self.refresh()["hits"])

    @property
    def active(self) -> bool:
        return bool(self.refresh()["active"])

    def delete(self) -> None:
        if self._deleted:
            return
        try:
            self.refresh()  # keep the final count
            self._control.call("DELETE", f"/faults/{self.id}")
        except ControlPlaneError as exc:
            if exc.status != 404:  # already gone (a reset): keep what was last seen
                raise
        self._deleted = True
        self.record = {**self.record, "active": False, "remaining": 0}

    def __enter__(self) -> Fault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()

    def __repr__(self) -> str:
        return f"<Fault {self.id} at {self.endpoint}>"


class Clock:
    """The domain's clock: it drives token iat/exp and every expiry check."""

    def __init__(self, control: _Control) -> None:
        self._control = control

    def state(self) -> dict[str, Any]:
        return self._control.call("GET", "/clock")

    def now(self) -> float:
        return float(self.state()["now"])

    def advance(self, seconds: float | datetime.timedelta) -> float:
        """Move the clock forward (negative: back); returns the new now."""
        if isinstance(seconds, datetime.timedelta):
            seconds = seconds.total_seconds()
        return float(self._change({"action": "advance", "seconds": seconds})["now"])

    def set(self, when: float | datetime.datetime | str) -> float:
        """Set the clock to an instant (Unix seconds, an aware datetime, or ISO 8601); it keeps running."""
        return float(self._change({"action": "set", "time": _instant(when)})["now"])

    def freeze(self, at: float | datetime.datetime | str | None = None) -> float:
        """Stop the clock (now, or at an instant)."""
        body: dict[str, Any] = {"action": "freeze"}
        if at is not None:
            body["time"] = _instant(at)
        return float(self._change(body)["now"])

    def unfreeze(self) -> float:
        return float(self._change({"action": "unfreeze"})["now"])

    def reset(self) -> float:
        """Back to real time."""
        return float(self._change({"action": "reset"})["now"])

    def _change(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._control.call("POST", "/clock", body)


def _instant(when: float | datetime.datetime | str) -> float | str:
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            raise ValueError("give an aware datetime (e.g. with tzinfo=datetime.UTC)")
        return when.timestamp()
    return when


class MockIdP:
    def __init__(
        self,
        fixtures: str | Path | Sequence[str | Path] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        auto_login: bool | str = False,
        log_level: str = "warning",
        control_token: str | None = None,
        tls: bool = False,
        tls_hosts: Sequence[str] = (),
        state_dir: str | Path | None = None,
        store: str = "memory",
    ) -> None:
        if fixtures is None:
            directories = [default_fixtures()]
        elif isinstance(fixtures, str | Path):
            directories = [Path(fixtures)]
        else:
            directories = [Path(directory) for directory in fixtures]
        self.fixture_dirs = directories
        self.fixtures = directories[0]
        self.tls, self.tls_hosts = tls, tuple(tls_hosts)
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.tls_files: Any = None  # mockidp.tls.TlsFiles, with tls=True
        self.domains: list[Any] = []  # the IdentityDomains, when the server runs in this process
        self.host, self.port = host, port
        self.public_url = public_url
        self.auto_login = auto_login
        self.log_level = log_level
        self.control_token = control_token
        self.store = store  # "memory", or a redis:// URL shared with other servers (they are then one domain)
        self._backend: Any = None
        self.domain: Any = None  # the (first) IdentityDomain, when the server runs in this process
        self.url = ""  # the URL clients use: public_url if given, else the bound address
        self.bound_url = ""  # where the server actually listens (attached: the URL given)
        self._attached = False
        self._issuer: str | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._control: _Control | None = None

    @classmethod
    def attach(cls, url: str, *, control_token: str | None = None) -> MockIdP:
        """A handle on a mockidp already running at `url` (a container, another process); nothing is started."""
        idp = cls(control_token=control_token)
        idp.url = idp.bound_url = url.rstrip("/")
        idp._attached = True
        idp._control = _Control(idp.url, control_token)
        return idp

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> MockIdP:
        if self._attached or self._thread is not None:
            return self
        from mockidp.core.domain import IdentityDomain
        from mockidp.core.stores import open_backend
        from mockidp.server import bind, make_server, url_for
        from mockidp.tls import local_certificate
        from mockidp.web.app import create_app
        from mockidp.web.context import ServerSettings

        self._backend = open_backend(self.store)  # StoreUnavailable when Redis cannot be reached
        self.domains = [IdentityDomain.load(directory, backend=self._backend) for directory in self.fixture_dirs]
        self.domain = self.domains[0]
        if isinstance(self.auto_login, str) and all(d.user(self.auto_login) is None for d in self.domains):
            raise ValueError(f"auto_login={self.auto_login!r}: no such user in {self.fixtures}")
        settings = ServerSettings(
            public_url=self.public_url, control_token=self.control_token, auto_login=self.auto_login
        )
        app = create_app(self.domains, settings, self._backend)
        ssl_options: dict[str, str] = {}
        if self.tls:
            self.tls_files = local_certificate(self.tls_hosts, self.state_dir)
            ssl_options = self.tls_files.ssl_options()
        sock = bind(self.host, self.port)
        self.bound_url = url_for(sock, "https" if self.tls else "http")
        self.url = self.public_url or self.bound_url
        ready = threading.Event()
        self._server = make_server(app, log_level=self.log_level, on_ready=ready.set, **ssl_options)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="mockidp", daemon=True
        )
        self._thread.start()
        while not ready.wait(0.05):
            if not self._thread.is_alive():
                raise RuntimeError("the mockidp server thread stopped before it was ready; see the log")
        self._control = _Control(self.bound_url, self.control_token, self.ca_path)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def __enter__(self) -> MockIdP:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- URLs ------------------------------------------------------------------------------------------

    @property
    def ca_path(self) -> Path | None:
        """The local CA to trust (`requests.get(..., verify=idp.ca_path)`) when serving with `tls=True`."""
        return self.tls_files.ca if self.tls_files is not None else None

    def tenant_url(self, tenant: str) -> str:
        """The URL of one of several domains: `<url>/tenants/<tenant>`."""
        return f"{self.url}/tenants/{tenant}"

    @property
    def issuer(self) -> str:
        if self.domain is not None:
            return self.domain.urls(self.url).issuer
        if self._issuer is None:
            assert self.url, "start the server first"
            with urllib.request.urlopen(self.discovery_url, timeout=30) as response:  # noqa: S310 - our own URL
                self._issuer = json.loads(response.read())["issuer"]
        return self._issuer

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
    def device_authorization_url(self) -> str:
        return f"{self.url}/oauth2/v1/device"

    @property
    def logout_url(self) -> str:
        return f"{self.url}/oauth2/v1/userlogout"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/admin/v1/SigningCert/jwk"

    @property
    def control_url(self) -> str:
        return f"{self.url}/mockidp/v1"

    # -- control plane ---------------------------------------------------------------------------------

    @property
    def control(self) -> _Control:
        if self._control is None:
            raise RuntimeError("start the server (or attach to one) before using its control plane")
        return self._control

    @property
    def clock(self) -> Clock:
        return Clock(self.control)

    def fault(
        self,
        endpoint: str,
        *,
        error: str | None = None,
        error_description: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = ...,
        delay: float | None = None,
        drop: bool = False,
        malformed: bool = False,
        retry_after: int | None = None,
        match: Mapping[str, str] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Queue a fault for the next `times` requests (None: all) to `endpoint` that `match` the given
        parameters (and `client_id` / `user`). Use it in a `with` block to delete it afterwards."""
        spec: dict[str, Any] = {"endpoint": endpoint, "times": times}
        optional = {
            "error": error,
            "error_description": error_description,
            "status": status,
            "headers": dict(headers) if headers else None,
            "delay": delay,
            "retry_after": retry_after,
            "match": dict(match) if match else None,
        }
        spec.update({key: value for key, value in optional.items() if value is not None})
        if body is not ...:
            spec["body"] = body
        if drop:
            spec["drop"] = True
        if malformed:
            spec["malformed"] = True
        return Fault(self.control, self.control.call("POST", "/faults", spec))

    def reload(self) -> dict[str, Any]:
        """Read the fixture directory again (state stays); a bad edit raises ControlPlaneError with the problems
        and the previous fixtures stay served."""
        return self.control.call("POST", "/reload")

    def faults(self) -> list[dict[str, Any]]:
        return self.control.call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self.control.call("DELETE", "/faults")

    def keys(self) -> list[dict[str, Any]]:
        return self.control.call("GET", "/keys")["keys"]

    def rotate_keys(self) -> str:
        """Sign with a new key from now on (the one published ahead, if any); returns its kid. The old key
        stays in the JWKS until retired."""
        return self.control.call("POST", "/keys/rotate")["key"]["kid"]

    def publish_next_key(self) -> str:
        """Publish the next signing key in the JWKS ahead of use; returns its kid."""
        return self.control.call("POST", "/keys/next")["key"]["kid"]

    def retire_key(self, kid: str) -> None:
        """Remove a key from the JWKS: tokens it signed stop verifying."""
        self.control.call("DELETE", f"/keys/{urllib.parse.quote(kid, safe='')}")

    def mint_token(
        self,
        client_id: str,
        *,
        user: str | None = None,
        kind: str = "access",
        scope: str | None = None,
        claims: Mapping[str, Any] | None = None,
        ttl: int | None = None,
        defects: Iterable[str] | str = (),
    ) -> str:
        """A token for any client (and user), with extra claims, or deliberately defective (`expired`,
        `not_yet_valid`, `wrong_issuer`, `wrong_audience`, `bad_signature`, `unknown_kid`, `alg_none`,
        `hs256_with_public_key`, `missing_claim:<name>`)."""
        return self.mint(client_id, user=user, kind=kind, scope=scope, claims=claims, ttl=ttl, defects=defects)["token"]

    def mint(
        self,
        client_id: str,
        *,
        user: str | None = None,
        kind: str = "access",
        scope: str | None = None,
        claims: Mapping[str, Any] | None = None,
        ttl: int | None = None,
        defects: Iterable[str] | str = (),
    ) -> dict[str, Any]:
        """Like `mint_token`, returning the token with its header and claims."""
        body: dict[str, Any] = {"client_id": client_id, "kind": kind}
        if user is not None:
            body["user"] = user
        if scope is not None:
            body["scope"] = scope
        if claims:
            body["claims"] = dict(claims)
        if ttl is not None:
            body["ttl"] = ttl
        body["defects"] = [defects] if isinstance(defects, str) else list(defects)
        return self.control.call("POST", "/tokens", body)

    def requests(
        self, endpoint: str | None = None, *, client_id: str | None = None, limit: int | None = None
    ) -> list[JournalEntry]:
        """What clients sent, oldest first (secrets redacted): all, one endpoint's, or one client's."""
        query = {"endpoint": endpoint, "client_id": client_id, "limit": limit}
        return [JournalEntry.from_json(e) for e in self.control.call("GET", "/requests", query=query)["requests"]]

    def clear_requests(self) -> None:
        self.control.call("DELETE", "/requests")

    def add_user(self, user_name: str, **fields: Any) -> dict[str, Any]:
        """Add or replace a user; fields as in a `[[users]]` fixture table, checked the same way."""
        return self.control.call("PUT", f"/users/{urllib.parse.quote(user_name, safe='@')}", fields)

    def remove_user(self, user_name: str) -> None:
        self.control.call("DELETE", f"/users/{urllib.parse.quote(user_name, safe='@')}")

    def add_client(self, client_id: str, **fields: Any) -> dict[str, Any]:
        """Add or replace a client; fields as in a `[[clients]]` fixture table, checked the same way."""
        return self.control.call("PUT", f"/clients/{urllib.parse.quote(client_id, safe='')}", fields)

    def remove_client(self, client_id: str) -> None:
        self.control.call("DELETE", f"/clients/{urllib.parse.quote(client_id, safe='')}")

    def add_resource(self, audience: str, **fields: Any) -> dict[str, Any]:
        """Add or replace a resource (by audience); fields as in a `[[resources]]` fixture table."""
        return self.control.call("PUT", f"/resources/{urllib.parse.quote(audience, safe='')}", fields)

    def remove_resource(self, audience: str) -> None:
        self.control.call("DELETE", f"/resources/{urllib.parse.quote(audience, safe='')}")

    def client_metadata(self) -> list[dict[str, Any]]:
        """The Client ID Metadata Documents the domain serves from fixtures and those it fetched (still cached)."""
        return self.control.call("GET", "/client-metadata")["documents"]

    def reset(self) -> None:
        """Back to the fixtures: tokens, codes, sessions, faults, journal, clock, keys and run-time changes."""
        self.control.call("POST", "/reset")
