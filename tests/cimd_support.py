"""A client's own web server for Client ID Metadata Document tests: real HTTP on 127.0.0.1 (stdlib
http.server, threaded), serving documents the test puts there, with chosen status, headers and delays, and
counting how often each path was fetched."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0


class DocumentServer:
    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] += 1
                answer = server.answers.get(self.path, Answer(b"not found", 404, {"Content-Type": "text/plain"}))
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> DocumentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, document: Any, **answer: Any) -> str:
        """Serve `document` (JSON, or bytes as they are) at `path`; returns its URL."""
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.answers[path] = Answer(body, **answer)
        return self.url(path)


def public_document(url: str, redirect_uris: list[str], **more: Any) -> dict[str, Any]:
    """A public client's metadata document, as an MCP client publishes it."""
    return {
        "client_id": url,
        "client_name": "Ledger Agent",
        "redirect_uris": redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **more,
    }
