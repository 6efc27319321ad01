"""Signing keys and the JWKS, shaped like the identity domain's (idcs-reference §3).

A signing key is an RSA key with a certificate chain (leaf signed by a local CA), both made with
`cryptography`. The key and chain are kept in one PEM file in the fixture directory, so tokens stay valid
across restarts; a read-only directory (e.g. a mounted ConfigMap) keeps a new key in memory instead.

Token header: exactly `{"x5t#S256", "x5t", "kid", "alg"}`, no `typ`. JWKS key: `kty, x5t#S256, e, x5t, kid,
x5c [leaf, CA], key_ops ["verify", "encrypt"], alg, n`, no `use`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

from mockidp.core.errors import ControlError
from mockidp.core.stores.contract import DURABLE_NS, Store

log = logging.getLogger("mockidp")

DEFAULT_KID = "SIGNING_KEY"


@dataclass(frozen=True)
class SigningKey:
    """One RSA key with its certificate chain; everything derived from it is computed once."""

    kid: str
    private_key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]  # leaf first, then the CA
    header: dict[str, Any] = field(init=False, repr=False)
    jwk: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        leaf_der = self.chain[0].public_bytes(serialization.Encoding.DER)
        x5t = base64url_encode(hashlib.sha1(leaf_der).digest()).decode()  # noqa: S324 - the x5t definition (RFC 7515)
        x5t256 = base64url_encode(hashlib.sha256(leaf_der).digest()).decode()
        # PyJWT adds "alg" and, unless told otherwise with None, "typ"; IDCS headers have no typ.
        object.__setattr__(self, "header", {"x5t#S256": x5t256, "x5t": x5t, "kid": self.kid, "typ": None})
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in self.chain]
        object.__setattr__(
            self,
            "jwk",
            {
                "kty": "RSA",
                "x5t#S256": x5t256,
                "e": public["e"],
                "x5t": x5t,
                "kid": self.kid,
                "x5c": x5c,
                "key_ops": ["verify", "encrypt"],
                "alg": "RS256",
                "n": public["n"],
            },
        )

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm="RS256",
            headers=self.header if headers is None else {**self.header, **headers},
            sort_headers=False,
        )

    def to_pem(self) -> bytes:
        key = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return key + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)


def new_signing_key(kid: str = DEFAULT_KID, *, subject: str = "mockidp signing key") -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid, private_key, _chain_for(private_key, subject))


def _chain_for(private_key: rsa.RSAPrivateKey, subject: str) -> tuple[x509.Certificate, x509.Certificate]:
    """A leaf certificate for the key, signed by a throwaway local CA (only the chain is kept)."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    until = now + datetime.timedelta(days=3650)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockidp local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(ca_name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return leaf, ca


def load_signing_key(pem: bytes, kid: str = DEFAULT_KID) -> tuple[SigningKey, bool]:
    """Read a key (and its chain, if the file has one). Returns the key and whether a chain had to be made."""
    # OpenSSL's full RSA key check costs ~30 ms, a sixth of start-up; signing once and verifying (0.3 ms)
    # proves what matters here just as well: that the key makes signatures its public key verifies.
    private_key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    probe = b"mockidp signing key check"
    try:
        private_key.public_key().verify(
            private_key.sign(probe, padding.PKCS1v15(), hashes.SHA256()), probe, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise ValueError("the RSA key is inconsistent: its signatures do not verify with its own public key") from None
    certs = tuple(x509.load_pem_x509_certificates(pem)) if b"-----BEGIN CERTIFICATE-----" in pem else ()
    if certs:
        if certs[0].public_key().public_numbers() != private_key.public_key().public_numbers():
            # a wrong leaf would publish an x5c/x5t that do not belong to the signing key, silently
            raise ValueError(
                "the first certificate in the file is not for this key; put the key's own "
                "certificate first (or leave the certificates out: mockidp then makes them)"
            )
        return SigningKey(kid, private_key, certs), False
    return SigningKey(kid, private_key, _chain_for(private_key, "mockidp signing key")), True


def load_or_create(path: Path) -> SigningKey:
    """The domain's signing key at `path`: read it, or make it and try to keep it there.

    Several servers starting at once on one fixture directory must end up with one key: the check and the write
    happen under an exclusive lock on the directory, so the first makes the key and the others read it. The file
    is written under a temporary name with mode 0600 from its first byte, then renamed into place."""
    with _directory_lock(path.parent):
        if path.exists():
            try:
                key, made_chain = load_signing_key(path.read_bytes())
            except (ValueError, TypeError, OSError) as exc:
                raise ValueError(f"{path}: not a usable RSA private key in PEM: {exc}") from exc
            if made_chain:
                _try_write(path, key.to_pem(), "its certificate chain")
            return key
        key = new_signing_key()
        if _try_write(path, key.to_pem(), "the new signing key"):
            log.info("made a new signing key (kid %s) and saved it to %s", key.kid, path)
        return key


def load_or_adopt(path: Path, adopt: Callable[[str], str]) -> SigningKey:
    """Like `load_or_create`, for processes sharing a store (perhaps on other machines, so a directory lock is not
    enough): with no key at `path`, each offers a new key to `adopt` (which keeps the first offer in the store)
    and all use the one kept, writing it to `path` if they can."""
    if path.exists():
        return load_or_create(path)
    pem = adopt(new_signing_key().to_pem().decode()).encode()
    key = load_signing_key(pem)[0]
    with _directory_lock(path.parent):
        if not path.exists() and _try_write(path, pem, "the signing key shared through the store"):
            log.info("saved the signing key shared through the store (kid %s) to %s", key.kid, path)
    return key


@contextlib.contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock between processes (flock on the directory itself: nothing is left behind)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a missing directory is reported by whoever reads the file
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _try_write(path: Path, data: bytes, what: str) -> bool:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
        return True
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        log.warning(
            "cannot write %s to %s (%s): it is kept in memory only, so tokens will not verify after a restart",
            what,
            path,
            exc.strerror or exc,
        )
        return False


RING_NS = "keys"
_RING = "ring"


class KeyRing:
    """The keys a domain signs with and publishes in its JWKS (the active one first).

    Until a test rotates, that is the fixture key alone. Rotation state — which keys exist (as PEM), which one
    signs, which one is published ahead of use — sits in the store like all mutable state; parsed keys are
    cached here by their stored id, so a request costs one store lookup. Kids stay IDCS-like: the fixture key
    keeps `SIGNING_KEY`, later keys are `SIGNING_KEY_2`, `SIGNING_KEY_3`, … [choice].
    """

    def __init__(self, fixture_key: SigningKey, store: Store) -> None:
        self.fixture_key = fixture_key
        self._store = store
        self._parsed: dict[str, SigningKey] = {}  # stored key id -> key (keys never change once made)
        self._jwks: dict[str, dict[str, Any]] = {}  # ring version -> JWKS document
        self._fixture_jwks = {"keys": [fixture_key.jwk]}

    # -- what requests need ----------------------------------------------------------------------------

    @property
    def active(self) -> SigningKey:
        ring = self._store.get(RING_NS, _RING)
        if ring is None:
            return self.fixture_key
        return self._key(next(entry for entry in ring["keys"] if entry["status"] == ACTIVE))

    @property
    def published(self) -> list[SigningKey]:
        ring = self._store.get(RING_NS, _RING)
        if ring is None:
            return [self.fixture_key]
        return [self._key(entry) for entry in _jwks_order(ring["keys"])]

    def find(self, kid: str | None) -> SigningKey | None:
        for key in self.published:
            if key.kid == kid:
                return key
        return None

    def jwks(self) -> dict[str, Any]:
        ring = self._store.get(RING_NS, _RING)
        if ring is None:
            return self._fixture_jwks
        document = self._jwks.get(ring["version"])
        if document is None:
            self._jwks.clear()
            document = self._jwks[ring["version"]] = {"keys": [key.jwk for key in self.published]}
        return document

    # -- what tests do through the control plane -------------------------------------------------------

    def describe(self) -> list[dict[str, Any]]:
        """Every published key: kid, status (active / next / previous), thumbprint, when it was made."""
        ring = self._ring()
        return [
            {
                "kid": entry["kid"],
                "status": entry["status"],
                "x5t": self._key(entry).jwk["x5t"],
                "created_at": entry["created_at"],
                "source": "fixtures" if entry["pem"] is None else "generated",
            }
            for entry in _jwks_order(ring["keys"])
        ]

    def rotate(self, now: float) -> dict[str, Any]:
        """A new key signs from now on: the one published as next, else a new one. The old stays published.

        The ring changes in one atomic store step, so of concurrent rotations each makes its own key (with its
        own kid) and each key stays published; the RSA work happens before that step, outside any lock."""
        fresh = None if self._upcoming(self._ring()) else self._new_entry(now)

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            keys = [dict(entry) for entry in self._or_fixtures(current)["keys"]]
            upcoming = self._upcoming({"keys": keys})
            if upcoming is None:
                upcoming = dict(fresh) if fresh is not None else None
                if upcoming is None:  # the next key was retired meanwhile: make one now (rare)
                    raise _Retry
                keys.append(upcoming)
            for entry in keys:
                if entry["status"] == ACTIVE:
                    entry["status"] = PREVIOUS
            upcoming["status"] = ACTIVE
            return _versioned(keys)

        try:
            ring = self._store.update(RING_NS, _RING, change)
        except _Retry:
            return self.rotate(now)
        assert ring is not None
        return self._summary(next(entry for entry in ring["keys"] if entry["status"] == ACTIVE))

    def publish_next(self, now: float) -> dict[str, Any]:
        """A new key in the JWKS ahead of use; the next `rotate` makes it the signing key."""
        self._refuse_second_next(self._ring())
        fresh = self._new_entry(now)

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            ring = self._or_fixtures(current)
            self._refuse_second_next(ring)  # another request published one while this key was being made
            return _versioned([*ring["keys"], fresh])

        self._store.update(RING_NS, _RING, change)
        return self._summary(fresh)

    def retire(self, kid: str) -> None:
        """Take a key out of the JWKS: tokens it signed stop verifying."""

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            ring = self._or_fixtures(current)
            entry = next((entry for entry in ring["keys"] if entry["kid"] == kid), None)
            if entry is None:
                known = ", ".join(e["kid"] for e in ring["keys"])
                raise ControlError(404, f"There is no key {kid!r}; the published keys are {known}.")
            if entry["status"] == ACTIVE:
                raise ControlError(409, f"{kid} is the signing key; rotate to another key before retiring it.")
            return _versioned([e for e in ring["keys"] if e["kid"] != kid])

        self._store.update(RING_NS, _RING, change)

    def reset(self) -> None:
        self._store.delete(RING_NS, _RING)

    # -- inside ----------------------------------------------------------------------------------------

    def _ring(self) -> dict[str, Any]:
        return self._or_fixtures(self._store.get(RING_NS, _RING))

    def _or_fixtures(self, ring: dict[str, Any] | None) -> dict[str, Any]:
        if ring is not None:
            return ring
        entry = {"id": "fixtures", "kid": self.fixture_key.kid, "pem": None, "status": ACTIVE, "created_at": None}
        return {"version": "fixtures", "keys": [entry]}

    @staticmethod
    def _upcoming(ring: dict[str, Any]) -> dict[str, Any] | None:
        return next((entry for entry in ring["keys"] if entry["status"] == NEXT), None)

    def _refuse_second_next(self, ring: dict[str, Any]) -> None:
        upcoming = self._upcoming(ring)
        if upcoming is not None:
            raise ControlError(
                409, f"{upcoming['kid']} is already published as the next key; rotate to start signing with it."
            )

    def _new_entry(self, now: float) -> dict[str, Any]:
        """A new key with a kid no key of this domain has had: the serial is a durable counter (a reset keeps it),
        so a client caching the JWKS by kid never sees one kid name two keys."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        chain = _chain_for(private_key, "mockidp signing key")
        serial = self._store.incr(DURABLE_NS, KEY_SERIAL) + 1  # the fixture key is number 1
        key = SigningKey(f"{DEFAULT_KID}_{serial}", private_key, chain)
        entry_id = uuid.uuid4().hex
        self._parsed[entry_id] = key
        return {"id": entry_id, "kid": key.kid, "pem": key.to_pem().decode(), "status": NEXT, "created_at": now}

    def _key(self, entry: dict[str, Any]) -> SigningKey:
        if entry["pem"] is None:
            return self.fixture_key
        key = self._parsed.get(entry["id"])
        if key is None:  # made by another worker sharing the store
            key = self._parsed[entry["id"]] = load_signing_key(entry["pem"].encode(), entry["kid"])[0]
        return key

    def _summary(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {"kid": entry["kid"], "status": entry["status"], "x5t": self._key(entry).jwk["x5t"]}


ACTIVE, NEXT, PREVIOUS = "active", "next", "previous"
KEY_SERIAL = "key_serial"  # in DURABLE_NS: kept by a reset


class _Retry(Exception):
    """A rotation found no next key after all: start it again."""


def _versioned(keys: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": uuid.uuid4().hex, "keys": keys}


_ORDER = {ACTIVE: 0, NEXT: 1, PREVIOUS: 2}


def _jwks_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JWKS lists the signing key first, then the next key, then older ones [choice]."""
    return sorted(entries, key=lambda entry: _ORDER[entry["status"]])
