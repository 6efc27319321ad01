"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id` that is a URL names
a client described by the JSON document at that URL. MCP clients use them instead of registering.

On with `[domain] client_id_metadata_documents = true`. A URL client_id is looked up, in order:
1. a `[[client_metadata]]` fixture entry (url + file): the document is read from the file, no network;
2. the store's cache of documents fetched before (kept per the answer's Cache-Control, bounded in number, with
   an expiry on the domain clock, so a shared store shares it);
3. the network, only for URLs under one of `trusted_metadata_locations`: one GET, a short timeout, a size limit,
   no redirects (`fetch.py`); each fetch, good or refused, is a journal entry (endpoint `client_metadata`).
A document that cannot be used is `invalid_client` with a description saying exactly why. The hook is one line
in `IdentityDomain.client`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mockidp.core import journal
from mockidp.core.cimd.document import MAX_BYTES, PUBLIC_GRANTS, DocumentRefused, parse_document
from mockidp.core.cimd.fetch import fetch as fetch_document
from mockidp.core.cimd.urls import looks_like_url, trusted, url_problem
from mockidp.core.errors import OAuthError
from mockidp.core.model import Client
from mockidp.core.verification_keys import KeyFileError, keys_from_jwks

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain

NS = "client_metadata"  # url -> {"url", "document", "jwks", "fetched_at", "expires_at"}
DEFAULT_MAX_AGE = 300  # [choice] seconds a document without Cache-Control max-age is kept
LONGEST_MAX_AGE = 86400  # [choice] a longer max-age is cut to a day
MAX_CACHED = 256  # documents kept at most; the oldest goes first
JOURNAL_ENDPOINT = "client_metadata"

__all__ = ["NS", "ClientMetadataRefused", "client", "forget", "listing", "looks_like_url"]


class ClientMetadataRefused(OAuthError):
    """A URL client_id whose document cannot be used: `invalid_client`, saying exactly why."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(
            "invalid_client", f"The client_id {url} names a client metadata document that cannot be used: {why}.", 401
        )


def client(domain: IdentityDomain, url: str) -> Client:
    """The client a URL client_id names, or ClientMetadataRefused."""
    problem = url_problem(url)
    if problem is not None:
        raise ClientMetadataRefused(url, f"a client_id URL {problem}")
    record = _record(domain, url)
    try:
        return build_client(domain, url, record["document"], record.get("jwks"))
    except DocumentRefused as exc:
        raise ClientMetadataRefused(url, str(exc)) from None


def _record(domain: IdentityDomain, url: str) -> dict[str, Any]:
    local = domain.fixtures.client_metadata.get(url)
    if local is not None:  # checked when the fixtures loaded; read again so that an edit shows at once
        try:
            return {"url": url, "document": parse_document(url, local.read_bytes()), "source": "fixtures"}
        except (OSError, DocumentRefused) as exc:
            raise ClientMetadataRefused(url, f"its fixture file {local.name} cannot be used: {exc}") from None
    cached = domain.store.get(NS, url)
    if cached is not None:
        return cached
    locations = domain.settings.trusted_metadata_locations
    if not trusted(url, locations):
        raise ClientMetadataRefused(
            url,
            "it is not under any of the domain's trusted_metadata_locations "
            f"({', '.join(locations) or 'none are set'}); add its location there, or serve it from a "
            "[[client_metadata]] fixture entry",
        )
    return _fetch(domain, url)


def _fetch(domain: IdentityDomain, url: str) -> dict[str, Any]:
    now = domain.clock.now()
    status: int | None = None
    try:
        fetched = fetch_document(url, max_bytes=MAX_BYTES)
        status = fetched.status
        document = parse_document(url, fetched.body)
        jwks = None
        if isinstance(document.get("jwks_uri"), str):
            jwks_url = document["jwks_uri"]
            problem = url_problem(jwks_url)
            if problem is not None:
                raise DocumentRefused(f"its jwks_uri {problem}")
            jwks = _json(fetch_document(jwks_url, max_bytes=64 * 1024).body, "the JWK Set at its jwks_uri")
    except DocumentRefused as exc:
        _journal(domain, url, now, status, str(exc))
        raise ClientMetadataRefused(url, str(exc)) from None
    max_age = DEFAULT_MAX_AGE if fetched.max_age is None else min(fetched.max_age, LONGEST_MAX_AGE)
    record = {"url": url, "document": document, "jwks": jwks, "source": "network", "fetched_at": now}
    _journal(domain, url, now, status, None)
    if max_age > 0:
        record["expires_at"] = now + max_age
        _make_room(domain)
        domain.store.put(NS, url, record, expires_at=now + max_age)
    return record


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentRefused(f"{what} is not JSON: {exc}") from None


def _make_room(domain: IdentityDomain) -> None:
    if domain.store.count(NS) < MAX_CACHED:
        return
    oldest = min(domain.store.items(NS), key=lambda item: item[1].get("fetched_at", 0))
    domain.store.delete(NS, oldest[0])


def _journal(domain: IdentityDomain, url: str, now: float, status: int | None, refused: str | None) -> None:
    item = journal.entry(
        time=now,
        method="GET",
        path=url,
        endpoint=JOURNAL_ENDPOINT,
        params={},
        authorization=None,
        status=status,
        outcome={"error": "invalid_client_metadata", "reason": refused} if refused else None,
        authenticated_client=url,
    )
    journal.record(domain.store, item)


def build_client(domain: IdentityDomain, url: str, document: dict[str, Any], jwks: Any = None) -> Client:
    """The client a checked document describes. [choice] It may ask for any scope of the domain's resources, or,
    when the document has a `scope`, only for those (short or fully qualified)."""
    keys = ()
    if document.get("token_endpoint_auth_method") == "private_key_jwt":
        try:
            keys = keys_from_jwks(document.get("jwks", jwks), "jwks" if "jwks" in document else "jwks_uri")
        except KeyFileError as exc:
            raise DocumentRefused(str(exc)) from None
    wanted = set(str(document.get("scope", "")).split())
    allowed = tuple(
        resource.audience + value
        for resource in domain.scopes.resources
        for value in resource.scopes
        if not wanted or value in wanted or resource.audience + value in wanted
    )
    return Client(
        client_id=url,
        name=document.get("client_name") or url,
        grant_types=tuple(document.get("grant_types", PUBLIC_GRANTS)),
        redirect_uris=tuple(document.get("redirect_uris", ())),
        allowed_scopes=allowed,
        keys=keys,
        metadata_url=url,
    )


def listing(domain: IdentityDomain) -> list[dict[str, Any]]:
    """The documents the domain serves from fixtures and those it has fetched (and still keeps), for the control
    plane."""
    found = [
        {"url": url, "source": "fixtures", "file": str(path.relative_to(domain.fixtures.directory))}
        for url, path in domain.fixtures.client_metadata.items()
    ]
    for url, record in sorted(domain.store.items(NS)):
        found.append(
            {
                "url": url,
                "source": "network",
                "client_name": record["document"].get("client_name"),
                "fetched_at": record["fetched_at"],
                "expires_at": record.get("expires_at"),
                "document": record["document"],
            }
        )
    return found


def forget(domain: IdentityDomain) -> None:
    """Drop every fetched document, so that the next use fetches it again."""
    domain.store.clear(NS)
