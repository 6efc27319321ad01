"""Fetching a document from the client's server: one GET, a short timeout, a size limit, no redirects, no proxy
from the environment. httpx2 is imported here, lazily, so that start-up does not pay for it."""

from __future__ import annotations

import functools
import re
import ssl
import time
from dataclasses import dataclass

from mockidp.core.cimd.document import DocumentRefused

TIMEOUT = 3.0  # seconds for the whole fetch; [choice]
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d{1,10})\"?", re.IGNORECASE)


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    max_age: int | None  # from Cache-Control; 0 for no-store / no-cache; None when the header says nothing


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The system's trust store (OpenSSL honours SSL_CERT_FILE), loaded once per process: loading it takes ~60 ms,
    which every fetch would otherwise pay. A context is safe to share between threads; it holds no domain state."""
    return ssl.create_default_context()


def fetch(url: str, *, max_bytes: int, timeout: float = TIMEOUT) -> Fetched:
    """GET `url`, or DocumentRefused saying what went wrong (unreachable, slow, redirected, not 200, too big)."""
    import httpx2  # only domains with client metadata documents need it

    deadline = time.monotonic() + timeout
    headers = {"Accept": "application/json", "User-Agent": "mockidp (client metadata fetcher)"}
    try:
        with (
            httpx2.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=tls_context()) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.is_redirect:
                location = response.headers.get("location", "")
                raise DocumentRefused(
                    f"the server answered {response.status_code} redirecting to {location!r}; a client metadata "
                    "document is not fetched through redirects: make the client_id the document's final URL"
                )
            if response.status_code != 200:
                raise DocumentRefused(f"the server answered HTTP {response.status_code}, not 200 with the document")
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise DocumentRefused(f"the document is {declared} bytes, over the limit of {max_bytes} bytes")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise DocumentRefused(f"the document is over the limit of {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise DocumentRefused(f"the document did not arrive within {timeout:g} seconds")
            return Fetched(200, bytes(body), _max_age(response.headers.get("cache-control")))
    except httpx2.TimeoutException:
        raise DocumentRefused(f"the server did not answer within {timeout:g} seconds") from None
    except httpx2.HTTPError as exc:
        raise DocumentRefused(f"it could not be fetched: {type(exc).__name__}: {exc}") from None


def _max_age(cache_control: str | None) -> int | None:
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0
    match = _MAX_AGE.search(lowered)
    return int(match.group(1)) if match else None
