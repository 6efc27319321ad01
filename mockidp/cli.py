"""The `mockidp` command: `serve` (the default), `check`, `token`."""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from mockidp import __version__
from mockidp.paths import default_fixtures

log = logging.getLogger("mockidp")


def _public_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"must be an absolute http(s) URL such as https://idp.example.com, got {value!r}"
        )
    return value.rstrip("/")


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 5) or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockidp",
        description="An offline stand-in for an OCI IAM Identity Domain (IDCS) as an OAuth2/OIDC server.",
    )
    parser.add_argument("--version", action="version", version=f"mockidp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{serve,check,token}")

    serve = commands.add_parser("serve", help="run the server (the default command)")
    add_serve_arguments(serve)

    check = commands.add_parser("check", help="validate a fixture directory")
    check.add_argument("directory", type=Path)

    token = commands.add_parser("token", help="print a token minted offline from the fixtures")
    token.add_argument("--client", required=True, help="client_id of a fixture client")
    token.add_argument("--user", help="user_name of a fixture user (a user token; default: a client token)")
    token.add_argument("--scope", help="scopes to ask for (default: the client's allowed scopes, or openid)")
    token.add_argument("--fixtures", type=Path, default=None, help="fixture directory (default: the shipped one)")
    token.add_argument(
        "--public-url",
        type=_public_url,
        default="http://127.0.0.1:8000",
        help='the server URL to put in the tokens (matters with issuer = "self")',
    )
    token.add_argument("--json", action="store_true", help="print the whole token response as JSON")
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fixtures",
        type=Path,
        action="append",
        default=None,
        help="fixture directory (default: $MOCKIDP_FIXTURES, directories separated by ':', else the shipped one); "
        "repeat it to serve several identity domains, each at /tenants/<tenant> and at the root for a Host naming "
        "its tenant",
    )
    parser.add_argument(
        "--host",
        type=_host,
        default=None,  # from_environment: $MOCKIDP_HOST, else 127.0.0.1
        help="address to listen on (default: $MOCKIDP_HOST, else 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,  # from_environment: $MOCKIDP_PORT, else 8000
        help="port to listen on (default: $MOCKIDP_PORT, else 8000; 0 = any free)",
    )
    parser.add_argument(
        "--public-url",
        type=_public_url,
        help="the URL clients use, when it differs from the "
        "listening address (e.g. behind a proxy); default: taken from each request",
    )
    tls = parser.add_argument_group("HTTPS")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate signed by a local CA kept in $MOCKIDP_STATE_DIR "
        "(default ~/.local/state/mockidp); the CA's path is logged at start",
    )
    tls.add_argument(
        "--tls-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name or IP for the generated certificate (besides localhost, 127.0.0.1, ::1), "
        "e.g. idcs-<id>.identity.oraclecloud.com; repeatable",
    )
    tls.add_argument("--tls-cert", type=Path, metavar="FILE", help="serve HTTPS with your own certificate (PEM chain)")
    tls.add_argument("--tls-key", type=Path, metavar="FILE", help="the private key of --tls-cert (PEM)")
    scale = parser.add_argument_group("one identity domain across processes")
    scale.add_argument(
        "--store",
        type=_store_url,
        default=os.environ.get("MOCKIDP_STORE", "memory"),
        metavar="URL",
        help="where the domain's state lives: memory (this process; the default, or $MOCKIDP_STORE) or "
        "redis://HOST:PORT/DB, shared by every process on it: several processes with the same store and "
        "fixtures are one identity domain (needs mockidp[redis])",
    )
    scale.add_argument(
        "--workers",
        type=_workers,
        default=os.environ.get("MOCKIDP_WORKERS", "1"),
        metavar="N",
        help="serve N processes on one port (default: $MOCKIDP_WORKERS, else 1); N > 1 needs --store redis://…",
    )
    parser.add_argument(
        "--auto-login",
        nargs="?",
        const=True,
        default=False,
        metavar="USER",
        help="sign users in without the sign-in page (for headless CI): the login_hint user if the request "
        "names one, else USER, else the first fixture user",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("MOCKIDP_LOG_LEVEL", "info").lower(),
        choices=LOG_LEVELS,
        help="default: $MOCKIDP_LOG_LEVEL, else info",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument(
        "--reload",
        action="store_true",
        help="watch the fixture directories and reload on a change (SIGHUP reloads too; a bad edit keeps the old)",
    )
    control = parser.add_mutually_exclusive_group()
    control.add_argument(
        "--control-token",
        type=_control_token,
        default=None,  # from_environment: $MOCKIDP_CONTROL_TOKEN
        metavar="T",
        help="require Authorization: Bearer T on the control plane /mockidp/v1 "
        "(default: $MOCKIDP_CONTROL_TOKEN; unset = open)",
    )
    control.add_argument(
        "--no-control",
        action="store_true",
        help="serve no control plane (no faults, clock, keys, minted tokens, journal or run-time changes)",
    )


def _host(value: str) -> str:
    if not value.strip() or any(c.isspace() or not c.isprintable() for c in value):
        raise argparse.ArgumentTypeError(f"must be a host name or IP address such as 127.0.0.1, got {value!r}")
    return value


# The serve options whose default comes from the environment: option -> (variable, check, default).
ENVIRONMENT = {
    "host": ("MOCKIDP_HOST", _host, "127.0.0.1"),
    "port": ("MOCKIDP_PORT", lambda value: _port(value), 8000),
    "control_token": ("MOCKIDP_CONTROL_TOKEN", lambda value: _control_token(value), None),
}


def from_environment(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Fill the serve options not given on the command line from their MOCKIDP_* variables; a bad value is
    an error that names the variable (not the option the user never typed)."""
    for option, (variable, check, default) in ENVIRONMENT.items():
        if getattr(args, option, None) is not None or (option == "control_token" and args.no_control):
            continue
        raw = os.environ.get(variable)
        if not raw:  # unset or empty: the default
            setattr(args, option, default)
            continue
        try:
            setattr(args, option, check(raw))
        except argparse.ArgumentTypeError as exc:
            parser.error(f"environment variable {variable}: {exc}")


def _store_url(value: str) -> str:
    from mockidp.core.stores import check_store_url

    try:
        return check_store_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


MAX_WORKERS = 64


def _workers(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be a number of processes from 1 to {MAX_WORKERS}, got {value!r}")
    return int(value)


def _control_token(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise argparse.ArgumentTypeError("must be a non-empty token without spaces")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="mockidp: %(levelname)s: %(message)s", stream=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    if args.command == "serve":
        from_environment(parser, args)
        if args.log_level not in LOG_LEVELS:  # argparse does not check a default against the choices
            parser.error(f"MOCKIDP_LOG_LEVEL={args.log_level!r}: use one of {', '.join(LOG_LEVELS)}")
        if args.fixtures is None and os.environ.get("MOCKIDP_FIXTURES"):
            args.fixtures = [Path(d) for d in os.environ["MOCKIDP_FIXTURES"].split(os.pathsep) if d]
    if args.command == "check":
        return run_check(args.directory)
    if args.command == "token":
        setup_logging("warning")
        return run_token(args)
    setup_logging(args.log_level)
    return run_serve(args)


def run_check(directory: Path) -> int:
    from mockidp.core.fixtures import check_fixtures

    problems = check_fixtures(directory)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{directory}: fixtures are valid")
    return 1 if problems else 0


def _load_domain(directory: Path | None, backend=None):  # noqa: ANN001, ANN202 - a Backend; IdentityDomain or None
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.fixtures import FixtureError
    from mockidp.core.stores import StoreUnavailable

    directory = directory or default_fixtures()
    try:
        return IdentityDomain.load(directory, backend=backend)
    except StoreUnavailable as exc:
        print(f"mockidp: cannot start: {exc.message}", file=sys.stderr)
    except FixtureError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"mockidp: the fixtures in {directory} have {len(exc.problems)} problem(s); nothing started",
            file=sys.stderr,
        )
    except ValueError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
    return None


def run_token(args: argparse.Namespace) -> int:
    from mockidp.core.claims import Grant, Session
    from mockidp.core.errors import OAuthError
    from mockidp.core.tokens import issue_tokens

    domain = _load_domain(args.fixtures)
    if domain is None:
        return 1
    client = domain.client(args.client)
    if client is None:
        print(
            f"mockidp: no client {args.client!r} in the fixtures (known: {', '.join(domain.fixtures.clients)})",
            file=sys.stderr,
        )
        return 1
    user = None
    if args.user:
        user = domain.user(args.user)
        if user is None:
            print(
                f"mockidp: no user {args.user!r} in the fixtures (known: {', '.join(domain.fixtures.users)})",
                file=sys.stderr,
            )
            return 1
    scope = args.scope or (" ".join(client.allowed_scopes) if client.allowed_scopes and user is None else "openid")
    try:
        scopes = domain.scopes.resolve(client, scope, user)
    except OAuthError as exc:
        print(
            f"mockidp: {exc.error}: {exc.description} ({exc.reason})"
            if exc.reason != exc.description
            else f"mockidp: {exc.error}: {exc.description}",
            file=sys.stderr,
        )
        return 1
    session = Session.start(domain.clock.now(), domain.settings.session_ttl) if user else None
    grant_type = "password" if user else "client_credentials"
    body = issue_tokens(domain, domain.urls(args.public_url), Grant(client, scopes, grant_type, user, session))
    print(json.dumps(body, indent=2) if args.json else body.get("access_token") or json.dumps(body))
    return 0


def _tls_files(args: argparse.Namespace):  # noqa: ANN202 - returns TlsFiles or None; raises TlsError
    from mockidp.tls import TlsError, local_certificate, user_certificate

    if (args.tls_cert is None) != (args.tls_key is None):
        raise TlsError("--tls-cert and --tls-key go together: give both")
    if args.tls_cert is not None:
        if args.tls_host:
            raise TlsError("--tls-host only applies to the generated certificate, not to --tls-cert")
        return user_certificate(args.tls_cert, args.tls_key)
    if args.tls_host and not args.tls:
        raise TlsError("--tls-host needs --tls")
    return local_certificate(args.tls_host) if args.tls else None


def run_serve(args: argparse.Namespace) -> int:
    from mockidp.core.stores import MEMORY, StoreUnavailable, describe_url, open_backend
    from mockidp.server import BindError, bind, make_server, url_for
    from mockidp.tls import TlsError
    from mockidp.web.app import create_app
    from mockidp.web.context import ServerSettings

    if args.workers > 1 and args.store == MEMORY:
        print(
            f"mockidp: --workers {args.workers} needs a shared store: with the memory store each worker would be an "
            "identity domain of its own (a code issued by one unknown to the next); add --store redis://HOST:PORT/DB",
            file=sys.stderr,
        )
        return 1
    try:
        tls = _tls_files(args)
    except TlsError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 1
    try:
        backend = open_backend(args.store)
    except StoreUnavailable as exc:
        print(f"mockidp: cannot start: {exc.message}", file=sys.stderr)
        return 1
    domains = []
    for directory in args.fixtures or [None]:
        domain = _load_domain(directory, backend)
        if domain is None:
            return 1
        domains.append(domain)
    if isinstance(args.auto_login, str) and all(domain.user(args.auto_login) is None for domain in domains):
        known = ", ".join(dict.fromkeys(user for domain in domains for user in domain.fixtures.users)) or "none"
        print(
            f"mockidp: --auto-login {args.auto_login}: no such user in the fixtures (known: {known})",
            file=sys.stderr,
        )
        return 1
    control = not args.no_control
    settings = ServerSettings(
        public_url=args.public_url, control=control, control_token=args.control_token, auto_login=args.auto_login
    )
    try:
        app = create_app(domains, settings, backend)
    except ValueError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 1
    try:
        # With workers, this socket only holds the port; each worker listens on one of its own (workers.py).
        sock = bind(args.host, args.port, reuse_port=args.workers > 1, listen=args.workers == 1)
    except BindError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 1
    url = args.public_url or url_for(sock, "https" if tls else "http")
    for domain in domains:
        fixtures = domain.fixtures
        log.info(
            "identity domain %s from %s: %d clients, %d users, %d resources; at %s/tenants/%s",
            domain.tenant,
            fixtures.directory,
            len(fixtures.clients),
            len(fixtures.users),
            len(fixtures.resources),
            url,
            domain.tenant,
        )
    if backend.shared:
        log.info("state in the shared store %s; %d worker(s)", describe_url(args.store), args.workers)
    if tls is not None and tls.ca is not None:
        log.info(
            "HTTPS with a certificate from the local CA %s; trust it with REQUESTS_CA_BUNDLE=%s, SSL_CERT_FILE=%s "
            "or NODE_EXTRA_CA_CERTS=%s",
            tls.ca,
            tls.ca,
            tls.ca,
            tls.ca,
        )
    if not is_loopback(args.host):
        log.warning("listening on %s: anyone who can reach this address can get tokens from this mock", args.host)
        if control and not args.control_token:
            log.warning(
                "\n%s\nTHE CONTROL PLANE IS OPEN: anyone who can reach %s can mint tokens, add users and clients,\n"
                "rotate keys and read the request journal at %s/mockidp/v1.\n"
                "Start with --control-token T (or MOCKIDP_CONTROL_TOKEN=T), or with --no-control.\n%s",
                "!" * 100,
                args.host,
                url,
                "!" * 100,
            )

    def ready() -> None:
        print(url, flush=True)

    ssl_options = tls.ssl_options() if tls is not None else {}
    if args.workers > 1:
        from mockidp import workers

        host, port = sock.getsockname()[:2]

        def serve_worker(on_ready: Callable[[], None]) -> None:
            own = bind(host, port, reuse_port=True)
            server = make_server(
                app, log_level=args.log_level, access_log=args.access_log, on_ready=on_ready, **ssl_options
            )
            server.run(sockets=[own])

        backend.close()  # each worker opens connections of its own
        return workers.run(args.workers, serve_worker, ready=ready, in_worker=backend.after_fork)
    server = make_server(app, log_level=args.log_level, access_log=args.access_log, on_ready=ready, **ssl_options)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: make that a clean exit 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from mockidp.core import reload

    if hasattr(signal, "SIGHUP"):  # reload every domain's fixtures, as --reload does on a change
        signal.signal(signal.SIGHUP, lambda *_: [reload.reload(domain) for domain in domains])
    watcher = reload.Watcher(domains).start() if args.reload else None
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        if watcher is not None:
            watcher.stop()
    return 0
