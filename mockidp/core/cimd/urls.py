"""Which URLs may be client_ids (draft-ietf-oauth-client-id-metadata-document §3) and which locations a domain
trusts. Pure string checks: nothing here touches the network."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def looks_like_url(client_id: str) -> bool:
    """Whether a client_id is meant as a metadata document URL (the cheap test done on every client lookup)."""
    return client_id.startswith(("https://", "http://"))


def url_problem(url: str) -> str | None:
    """What makes `url` unusable as a client_id URL, or None. The draft's rules: https (here also http on
    loopback, for tests), a path, no fragment, no user or password, no dot segments."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"must be an https URL such as https://app.example.com/oauth/client.json, got {url!r}"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return f"must use https (http only on a loopback host such as 127.0.0.1, for tests), got {url!r}"
    if parts.path in ("", "/"):
        return f"must have a path naming the document, e.g. {parts.scheme}://{parts.netloc}/oauth/client.json"
    if "#" in url:
        return f"must not have a fragment, got {url!r}"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return f"must not have . or .. path segments, got {url!r}"
    return None


def location_problem(prefix: str) -> str | None:
    """What makes a `trusted_metadata_locations` entry unusable, or None."""
    parts = urlsplit(prefix)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f'must be an https URL prefix such as "https://mcp.example.com/oauth/", got {prefix!r}'
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return f"must use https (http only on a loopback host, for tests), got {prefix!r}"
    if not parts.path.startswith("/"):
        return f'must end its host part with "/" so that it cannot match a longer host name, e.g. "{prefix}/"'
    return None


def trusted(url: str, locations: tuple[str, ...]) -> bool:
    return any(url.startswith(location) for location in locations)
