"""OCI request signatures on /admin/v1, request by request: what is accepted, and the exact 401 for each way a
signature can be wrong. The good path is also checked with the OCI SDK's own signer (oci.signer.Signer)."""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys
import time

import oci
import pytest
import requests

from mockidp.core.verification_keys import oci_fingerprint, parse_api_key
from mockidp.testing import default_fixtures
from tests.oci_support import (
    ERIN,
    ERIN_FINGERPRINT,
    ERIN_KEY_FILE,
    TENANCY,
    UNAUTHORIZED,
    assert_scim_401,
    erin_private_key,
    fingerprint_of,
    new_private_key,
    signed_request,
    user_ocid,
)

MALFORMED = UNAUTHORIZED + " The request signature cannot be used: "
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ME = "/admin/v1/ApiKeys"  # any admin resource erin may read


def test_fingerprint_is_what_openssl_prints():
    der = subprocess.run(
        ["openssl", "rsa", "-pubin", "-in", str(default_fixtures() / "erin-api.pub.pem"), "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    printed = subprocess.run(["openssl", "md5", "-c"], input=der, capture_output=True, check=True).stdout.decode()
    assert printed.split("= ")[-1].strip() == ERIN_FINGERPRINT
    key = parse_api_key((default_fixtures() / "erin-api.pub.pem").read_bytes())
    assert oci_fingerprint(key.key) == key.fingerprint == ERIN_FINGERPRINT


def test_the_sdk_signer_is_accepted(idp):
    signer = oci.signer.Signer(TENANCY, user_ocid(idp), ERIN_FINGERPRINT, str(ERIN_KEY_FILE))
    response = requests.get(idp.url + ME, auth=signer, timeout=10)
    assert response.status_code == 200, response.text
    assert [key["user"]["name"] for key in response.json()["Resources"]] == [ERIN]
    search = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName eq "bob@example.com"',
    }
    body = json.dumps(search).encode()
    response = requests.post(
        idp.url + "/admin/v1/Users/.search",
        data=body,
        headers={"content-type": "application/scim+json"},
        auth=signer,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert [user["userName"] for user in response.json()["Resources"]] == ["bob@example.com"]


def test_a_query_string_is_part_of_the_request_target(idp):
    path = "/admin/v1/Users?filter=userName%20eq%20%22erin%40example.com%22&attributes=userName"
    response = signed_request(idp, "GET", path)
    assert response.status_code == 200, response.text
    assert [user["userName"] for user in response.json()["Resources"]] == [ERIN]


def test_x_date_may_stand_for_date(idp):
    now = email.utils.formatdate(usegmt=True)
    response = signed_request(idp, "GET", ME, headers=["x-date", "(request-target)", "host"], extra={"x-date": now})
    assert response.status_code == 200, response.text


def test_signed_with_another_key(idp):
    assert_scim_401(signed_request(idp, "GET", ME, key=new_private_key()))
    entry = idp.requests()[-1]
    assert entry.status == 401
    assert "does not verify with API key " + ERIN_FINGERPRINT in entry.reason


def test_a_changed_request_target_does_not_verify(idp):
    good = signed_request(idp, "GET", ME)
    assert good.status_code == 200
    # Signed for /admin/v1/Me, sent to /admin/v1/Users: the signature covers the path.
    request = requests.Request("GET", idp.url + "/admin/v1/Users", headers=dict(good.request.headers)).prepare()
    assert_scim_401(requests.Session().send(request, timeout=10))


def test_unknown_fingerprint(idp):
    other = new_private_key()
    key_id = f"{TENANCY}/{user_ocid(idp)}/{fingerprint_of(other)}"
    assert_scim_401(signed_request(idp, "GET", ME, key=other, key_id=key_id))
    assert "names no API key" in idp.requests()[-1].reason


def test_unknown_user(idp):
    key_id = f"{TENANCY}/ocid1.user.oc1..aaaaaaaanobodynobodynobodynobody/{ERIN_FINGERPRINT}"
    assert_scim_401(signed_request(idp, "GET", ME, key_id=key_id))
    assert "no active user with OCID ocid1.user.oc1..aaaaaaaanobodynobodynobodynobody" in idp.requests()[-1].reason


@pytest.mark.parametrize(
    ("key_id", "what"),
    [
        ("just-one-part", "keyId 'just-one-part' must be <tenancy OCID>/<user OCID>/<key fingerprint>"),
        (
            f"ocid1.compartment.oc1..aaaa/ocid1.user.oc1..aaaa/{ERIN_FINGERPRINT}",
            "the tenancy part of keyId, 'ocid1.compartment.oc1..aaaa', is not a tenancy OCID (ocid1.tenancy.oc1..…)",
        ),
        (
            f"{TENANCY}/ocid1.user.oc1..aaaa/81DE64",
            "the fingerprint part of keyId, '81DE64', must be 16 colon-separated lowercase hex bytes (aa:bb:…), "
            "as the console and `openssl md5 -c` of the DER public key show it",
        ),
    ],
)
def test_malformed_key_id(idp, key_id, what):
    assert_scim_401(signed_request(idp, "GET", ME, key_id=key_id), MALFORMED + what + ".")


def test_another_tenancy(idp):
    other = "ocid1.tenancy.oc1..aaaaaaaaanothertenancyanothertenancyanothertenancyanoth"
    response = signed_request(idp, "GET", ME, key_id=f"{other}/{user_ocid(idp)}/{ERIN_FINGERPRINT}")
    assert_scim_401(
        response,
        f"{MALFORMED}the tenancy part of keyId, {other}, is not this identity domain's tenancy, {TENANCY} "
        "(the tenancyOcid of its resources).",
    )


def test_an_unsigned_fresh_x_date_does_not_refresh_a_stale_signed_date(idp):
    stale = email.utils.formatdate(time.time() - 600, usegmt=True)
    fresh = email.utils.formatdate(usegmt=True)
    response = signed_request(idp, "GET", ME, date=stale, extra={"x-date": fresh})
    assert response.status_code == 401
    assert response.json()["detail"].startswith(f"{UNAUTHORIZED} The date header is 60")


@pytest.mark.parametrize(
    ("offset", "status", "detail"),
    [
        (-301, 401, "The date header is 301 s behind the identity domain's clock"),
        (412, 401, "The date header is 412 s ahead of the identity domain's clock"),
        (-299, 200, None),  # within the 5 minutes OCI allows
        (240, 200, None),
    ],
)
def test_stale_date(fresh_idp, offset, status, detail):
    now = int(time.time())
    fresh_idp.clock.freeze(now)
    response = signed_request(fresh_idp, "GET", ME, date=email.utils.formatdate(now + offset, usegmt=True))
    if detail is None:
        assert response.status_code == status, response.text
        return
    assert_scim_401(
        response,
        f"{UNAUTHORIZED} {detail}; a signed request must be dated within 5 minutes (sign it again, or fix the "
        "client's clock).",
    )


def test_the_domain_clock_decides_staleness(fresh_idp):
    assert signed_request(fresh_idp, "GET", ME).status_code == 200
    fresh_idp.clock.advance(600)
    response = signed_request(fresh_idp, "GET", ME)
    assert response.status_code == 401
    assert "s behind the identity domain's clock" in response.json()["detail"]
    # A client whose clock agrees with the domain's is fine again.
    later = email.utils.formatdate(time.time() + 600, usegmt=True)
    assert signed_request(fresh_idp, "GET", ME, date=later).status_code == 200


def test_unreadable_date(idp):
    response = signed_request(idp, "GET", ME, date="yesterday")
    assert_scim_401(
        response,
        MALFORMED + "the date header 'yesterday' is not an HTTP date such as 'Tue, 01 Dec 2026 21:00:00 GMT'.",
    )


def test_body_digest_mismatch(idp):
    body = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":1}'
    tampered = body.replace(b'"count":1', b'"count":2')
    response = signed_request(idp, "POST", "/admin/v1/Users/.search", body=body, send_body=tampered)
    assert_scim_401(
        response,
        UNAUTHORIZED + " The x-content-sha256 header is not the SHA-256 of the request body: the body changed "
        "after it was signed.",
    )


@pytest.mark.parametrize(
    ("method", "path", "headers", "missing"),
    [
        ("GET", ME, ["(request-target)", "host"], "date"),
        ("GET", ME, ["date", "host"], "(request-target)"),
        ("GET", ME, ["date", "(request-target)"], "host"),
        (
            "POST",
            "/admin/v1/Users/.search",
            ["date", "(request-target)", "host", "content-length", "content-type"],
            "x-content-sha256",
        ),
        (
            "POST",
            "/admin/v1/Users/.search",
            ["date", "(request-target)", "host"],
            "content-length, content-type, x-content-sha256",
        ),
    ],
)
def test_missing_signed_header(idp, method, path, headers, missing):
    body = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}' if method == "POST" else b""
    response = signed_request(idp, method, path, headers=headers, body=body)
    needed = "date (request-target) host" + (" content-length content-type x-content-sha256" if body else "")
    assert_scim_401(
        response,
        MALFORMED + f"a {method} request must sign {needed}; the signature's headers are "
        f"{' '.join(headers)!r}, without {missing}.",
    )


@pytest.mark.parametrize(
    ("authorization", "what"),
    [
        ("Signature", "the Signature parameters lack keyId, signature, algorithm, headers"),
        (
            "Signature keyId=abc",
            "cannot read the Signature parameters from 'keyId=abc': write them as "
            'name="value" pairs separated by commas',
        ),
        (
            'Signature keyId="a/b/c",algorithm="hmac-sha256",headers="date",signature="AAAA"',
            "algorithm is 'hmac-sha256'; OCI request signatures use \"rsa-sha256\"",
        ),
        (
            'Signature version="2",keyId="a/b/c",algorithm="rsa-sha256",headers="date",signature="AAAA"',
            "version is '2'; mockidp knows OCI signature version \"1\"",
        ),
        (
            'Signature keyId="a/b/c",algorithm="rsa-sha256",headers="date",signature="not base64!"',
            "signature is not base64",
        ),
        (
            'Signature keyId="a",keyId="b",algorithm="rsa-sha256",headers="date",signature="AAAA"',
            "the Signature parameter keyId is given twice",
        ),
    ],
)
def test_malformed_authorization_header(idp, authorization, what):
    headers = {"authorization": authorization, "date": email.utils.formatdate(usegmt=True)}
    response = requests.get(idp.url + ME, headers=headers, timeout=10)
    assert_scim_401(response, MALFORMED + what + ".")


def test_a_signed_header_that_is_not_sent(idp):
    response = signed_request(
        idp, "GET", ME, headers=["date", "(request-target)", "host", "x-custom"], extra={"x-custom": "1"}
    )
    assert response.status_code == 200
    request = response.request
    del request.headers["x-custom"]
    assert_scim_401(
        requests.Session().send(request, timeout=10), MALFORMED + "the signed header x-custom is not in the request."
    )


def test_a_deactivated_user_cannot_sign(fresh_idp):
    assert signed_request(fresh_idp, "GET", ME).status_code == 200
    fresh_idp.add_user(
        ERIN,
        password="Welcome1!",
        app_roles=["Identity Domain Administrator"],
        api_keys=["erin-api.pub.pem"],
        active=False,
    )
    assert_scim_401(signed_request(fresh_idp, "GET", ME))
    assert "no active user" in fresh_idp.requests()[-1].reason


def test_the_private_key_shipped_is_the_fixture_keys_pair():
    assert fingerprint_of(erin_private_key()) == ERIN_FINGERPRINT


def test_fixture_api_key_problems(write_fixtures, tmp_path):
    private = new_private_key()
    write_fixtures(
        **{
            "users.toml": """
                [[users]]
                user_name = "a@example.com"
                api_keys = ["missing.pem", "private.pem", "a.pub.pem"]

                [[users]]
                user_name = "c@example.com"
                api_keys = ["a.pub.pem", "a.pub.pem"]

                [[users]]
                user_name = "b@example.com"
                api_keys = ["1.pem", "2.pem", "3.pem", "4.pem"]
            """,
        }
    )
    from cryptography.hazmat.primitives import serialization

    (tmp_path / "private.pem").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "a.pub.pem").write_bytes(
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "check", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    assert f"users.toml: users[0].api_keys[0]: no such file 'missing.pem' in {tmp_path}" in lines
    assert (
        "users.toml: users[0].api_keys[1]: private.pem holds a private key: give the public key "
        "(openssl rsa -pubout)" in lines
    )
    assert (
        f"users.toml: users[1].api_keys[1]: a.pub.pem is the same key as an earlier one ({fingerprint_of(private)})"
        in lines
    )
    assert "users.toml: users[2].api_keys: a user can have at most 3 API keys (as in OCI), got 4" in lines
