"""Fixture validation of what server-to-server features add: client keys (public_key, jwks), cors_origins
and [[trusts]] — each mistake reported with its file and key path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm
from s2s_support import new_key, self_signed

from mockidp.cli import main
from mockidp.core.domain import IdentityDomain
from mockidp.core.fixtures import check_fixtures

CLIENT = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"


def problems(directory: Path) -> list[str]:
    return [str(problem) for problem in check_fixtures(directory)]


def test_client_key_files(write_fixtures: Callable[..., Path]) -> None:
    key = new_key()
    directory = write_fixtures(
        **{
            "clients.toml": f"""
                [[clients]]
                client_id = "{CLIENT}"
                grant_types = ["client_credentials"]
                public_key = "missing.pem"
                jwks = "broken.jwks"

                [[clients]]
                client_id = "c2"
                grant_types = ["client_credentials"]
                public_key = "private.pem"
                jwks = "jwks-no-kid.json"

                [[clients]]
                client_id = "c3"
                grant_types = ["client_credentials"]
                jwks = "jwks-private.json"

                [[clients]]
                client_id = "c4"
                grant_types = ["client_credentials"]
                cors_origins = ["*", "https://app.example.com/", "ftp://x", "http://localhost:3000"]
            """,
        }
    )
    (directory / "broken.jwks").write_text("{not json")
    (directory / "private.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public_jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    (directory / "jwks-no-kid.json").write_text(json.dumps({"keys": [public_jwk]}))
    private_jwk = {**RSAAlgorithm.to_jwk(key, as_dict=True), "kid": "k"}
    (directory / "jwks-private.json").write_text(json.dumps({"keys": [private_jwk]}))
    origin = 'must be an origin, scheme://host[:port] with no path or trailing slash, e.g. "https://app.example.com"'
    assert problems(directory) == [
        'clients.toml: clients[3].cors_origins[0]: list the origins one by one; "*" is only for discovery and JWKS, '
        "which allow every origin",
        f"clients.toml: clients[3].cors_origins[1]: {origin}, got 'https://app.example.com/'",
        f"clients.toml: clients[3].cors_origins[2]: {origin}, got 'ftp://x'",
        f"clients.toml: clients[0].public_key: no such file 'missing.pem' in {directory}",
        "clients.toml: clients[0].jwks: broken.jwks is not valid JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)",
        "clients.toml: clients[1].public_key: private.pem holds a private key: give the public key (or a certificate)",
        "clients.toml: clients[1].jwks: jwks-no-kid.json: keys[0] needs a kid, so that assertions can name it",
        "clients.toml: clients[2].jwks: jwks-private.json: keys[0] must be a public key (it has private members)",
    ]


def test_a_jwks_json_file_is_not_read_as_fixtures(write_fixtures: Callable[..., Path]) -> None:
    key = new_key()
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1"}
    directory = write_fixtures(
        **{
            "clients.toml": f'[[clients]]\nclient_id = "{CLIENT}"\njwks = "client.json"\n'
            'grant_types = ["client_credentials"]\n',
            "client.json": json.dumps({"keys": [jwk]}),
        }
    )
    assert problems(directory) == []
    domain = IdentityDomain.load(directory)
    client = domain.client(CLIENT)
    assert client is not None and not client.is_public and [k.kid for k in client.keys] == ["k1"]


def test_certificate_public_key_gets_thumbprints(write_fixtures: Callable[..., Path]) -> None:
    key = new_key()
    directory = write_fixtures(
        **{"clients.toml": f'[[clients]]\nclient_id = "{CLIENT}"\npublic_key = "c.pem"\ngrant_types = []\n'}
    )
    (directory / "c.pem").write_bytes(self_signed(key, "c").public_bytes(serialization.Encoding.PEM))
    client = IdentityDomain.load(directory).client(CLIENT)
    assert client is not None and client.keys[0].x5t and client.keys[0].x5t256


def test_trust_mistakes(write_fixtures: Callable[..., Path]) -> None:
    directory = write_fixtures(
        **{
            "a.toml": f"""
                [[clients]]
                client_id = "{CLIENT}"
                client_secret = "s"
                grant_types = ["client_credentials"]

                [[users]]
                user_name = "svc"

                [[trusts]]
                name = "no key"
                issuer = "https://a.example.com"

                [[trusts]]
                name = "self with a key"
                issuer = "self"
                public_key = "k.pem"

                [[trusts]]
                name = "bad references"
                issuer = "https://b.example.com"
                jwks = "nothing.json"
                clients = ["{CLIENT}", "ghost"]
                client_claim = "aud"
                subject_mapping = "phone"
                impersonation = [
                  {{ rule = "sub eq 'x'", user = "nobody" }},
                  {{ rule = "sub gt 3", user = "svc" }},
                  {{ rule = "sub eq x or aud eq y", user = "svc" }},
                  {{ rule = "sub eq x", user = "svc", when = "always" }},
                ]

                [[trusts]]
                name = "twice"
                issuer = "https://b.example.com"
                public_key = "k.pem"
            """,
        }
    )
    (directory / "k.pem").write_bytes(
        new_key().public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert problems(directory) == [
        "a.toml: trusts[3].issuer: duplicate issuer 'https://b.example.com' (first in a.toml: trusts[2])",
        "a.toml: trusts[2].subject_mapping: must be one of user_name, email, got 'phone'",
        "a.toml: trusts[2].impersonation[1].rule: unknown operator 'gt' in 'sub gt 3'; use one of eq, co, sw",
        "a.toml: trusts[2].impersonation[2].rule: expected 'and' before 'or aud eq y' in 'sub eq x or aud eq y'",
        "a.toml: trusts[2].impersonation[3].when: unknown key; expected one of rule, user",
        "a.toml: trusts[0].public_key: give the issuer's key: public_key (a PEM file) or jwks (a JWKS file)",
        'a.toml: trusts[1].issuer: issuer "self" trusts this domain\'s own tokens, checked with its own keys: '
        "remove public_key and jwks",
    ]


def test_duplicate_trust_issuer(write_fixtures: Callable[..., Path]) -> None:
    trust = '[[trusts]]\nname = "{}"\nissuer = "self"\n'
    directory = write_fixtures(**{"a.toml": trust.format("one"), "b.toml": trust.format("two")})
    assert problems(directory) == ["b.toml: trusts[0].issuer: duplicate issuer 'self' (first in a.toml: trusts[0])"]


def test_trust_references(write_fixtures: Callable[..., Path]) -> None:
    directory = write_fixtures(
        **{
            "a.toml": f"""
                [[clients]]
                client_id = "{CLIENT}"
                client_secret = "s"
                grant_types = ["client_credentials"]

                [[trusts]]
                name = "bad references"
                issuer = "https://b.example.com"
                jwks = "nothing.json"
                clients = ["{CLIENT}", "ghost"]
                client_claim = "aud"
                impersonation = [{{ rule = "sub eq 'x'", user = "nobody" }}]
            """,
        }
    )
    assert problems(directory) == [
        "a.toml: trusts[0].clients[1]: no client with client_id 'ghost'",
        "a.toml: trusts[0].client_claim: client_claim and client_claim_values go together: set both or neither",
        "a.toml: trusts[0].impersonation[0].user: no user with user_name 'nobody'",
        f"a.toml: trusts[0].jwks: no such file 'nothing.json' in {directory}",
    ]


def test_mockidp_check_prints_trust_problems(write_fixtures: Callable[..., Path], capsys) -> None:
    directory = write_fixtures(
        **{"t.toml": '[[trusts]]\nname = "t"\nissuer = "https://x.example.com"\nsubject_claim = ""\n'}
    )
    assert main(["check", str(directory)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "t.toml: trusts[0].subject_claim: must not be empty",
    ]
