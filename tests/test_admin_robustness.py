"""No input a client can send to /admin/v1 gets a 5xx or leaves the SCIM error shape: odd filters, query
parameters, bodies and PATCH operations, each answered with a 4xx in the SCIM shape (or a success)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from mockidp.testing import MockIdP
from tests.admin_support import ALICE_ID, SCIM, Admin, client_token, write_admin_fixtures


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_admin_fixtures(tmp_path_factory.mktemp("robust"))) as server:
        yield server


def test_odd_inputs_get_4xx_in_the_scim_shape(idp):
    a = Admin(idp, client_token(idp))
    bad = []

    def chk(r, what):
        scim = r.headers.get("content-type", "").startswith(SCIM)
        if r.status_code >= 500 or (not scim and r.status_code != 204):
            bad.append((what, r.status_code, r.text[:200]))

    for f in [
        'emails[type eq "a"]]',
        "emails[",
        "[",
        ")",
        "not",
        'not userName eq "x"',
        "userName eq 1e999",
        'userName eq "\u00e9"',
        'userName eq "x" or',
        'emails[type eq "a"].value eq "x"',
        "meta.created gt 5",
        'name eq "x"',
        'urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User eq "x"',
        'urn:x:y eq "z"',
        '"x" eq userName',
        'userName eq ""',
        "id pr and (((((userName pr)))))",
        "(" * 500 + "userName pr" + ")" * 500,
        'userName eq "\\ud800"',
        'userName eq "\\q"',
        "userName eq true",
        "active gt true",
        'groups[display eq "x"',
        'groups[value eq "a"]',
        'emails.value.x eq "a"',
    ]:
        chk(a.get("Users", params={"filter": f}), f)
    for p in [
        {"attributes": ",,,"},
        {"attributes": "name..x"},
        {"attributes": "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User:"},
        {"sortBy": 'emails[type eq "x"]'},
        {"sortBy": "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User"},
        {"sortBy": "meta"},
        {"startIndex": "99999999999999999999"},
        {"count": "1e3"},
        {"count": "99999999999999999999999"},
        {"excludedAttributes": "id,schemas"},
        {"attributeSets": "never"},
        {"sortBy": "groups"},
        {"sortBy": "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User:isFederatedUser"},
    ]:
        chk(a.get("Users", params=p), p)
    for body in [
        "[]",
        '"x"',
        "null",
        "[" * 5000 + "]" * 5000,
        json.dumps({"a": [[[[[[[[]]]]]]]]}),
        "{" + '"a":' * 1 + "{}" * 1 + "}",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@y.z",
                "name": {"familyName": "F"},
                "emails": [{"value": 5}],
            }
        ),
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@y.z",
                "name": "F",
                "emails": [{"value": "a"}],
            }
        ),
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@y.z",
                "name": {"familyName": "F"},
                "emails": [{}],
            }
        ),
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@y.z",
                "name": {"familyName": "F"},
                "emails": ["a"],
            }
        ),
        json.dumps({"schemas": "x"}),
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@y.z",
                "name": {"familyName": "F"},
                "emails": [{"value": "a"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": 5}},
            }
        ),
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@y.z",
                "name": {"familyName": "F"},
                "emails": [{"value": "a"}],
                "tags": [{"key": {"a": "b"}}],
            }
        ),
    ]:
        chk(a("POST", "Users", data=body, headers={"Content-Type": SCIM}), body[:60])
        chk(a("POST", "Groups", data=body, headers={"Content-Type": SCIM}), "G" + body[:60])
        chk(a("POST", "Users/.search", data=body, headers={"Content-Type": SCIM}), "S" + body[:60])
        chk(a("PATCH", f"Users/{ALICE_ID}", data=body, headers={"Content-Type": SCIM}), "P" + body[:60])
    for op in [
        {"op": "add", "path": "name.givenName.x", "value": 1},
        {"op": "add", "path": 'emails[type eq "work"].nosuch', "value": 1},
        {"op": "add", "path": 'nickName[value eq "x"]', "value": 1},
        {"op": "replace", "path": "emails", "value": "x"},
        {"op": "replace", "path": "name", "value": "x"},
        {"op": "replace", "value": "x"},
        {"op": "replace", "value": {"nosuch": 1}},
        {"op": "replace", "value": {"urn:x:y": {"a": 1}}},
        {"op": 5},
        {"op": "add", "path": 5, "value": 1},
        {"op": "remove", "path": 'emails[value eq "x"].value'},
        {"op": "add", "path": "emails", "value": [1, 2]},
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User", "value": 5},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User:nosuch", "value": 5},
        {"op": "add", "path": "addresses", "value": [{"nosuch": 1}]},
        {"op": "replace", "path": "userName", "value": None},
        {"op": "replace", "path": "userName", "value": ""},
        {"op": "replace", "path": "name.familyName", "value": ""},
        {"op": "remove", "path": "name"},
        {"op": "remove", "path": "userName"},
        "x",
        {"op": "add", "path": "members", "value": {"value": "x"}},
    ]:
        chk(a.patch(f"Users/{ALICE_ID}", op), op)
    g = a.get("Groups").json()["Resources"][0]["id"]
    for op in [
        {"op": "add", "path": "members", "value": {"value": ALICE_ID}},
        {"op": "add", "path": "members", "value": ["x"]},
        {"op": "add", "path": "members", "value": [{"value": 5}]},
        {"op": "replace", "path": "displayName", "value": 5},
        {"op": "remove", "path": "displayName"},
        {"op": "add", "path": 'members[value eq "x"].display', "value": "y"},
        {"op": "replace", "value": {"members": "x"}},
    ]:
        chk(a.patch(f"Groups/{g}", op), ("G", op))
    for h in [{"If-Match": "garbage"}, {"If-Match": ""}, {"Content-Type": "text/plain"}]:
        chk(a("PUT", f"Users/{ALICE_ID}", data="{}", headers=h), h)
    chk(a.get("Users/" + "x" * 5000), "long id")
    chk(a.get("Schemas/" + "urn:" * 1000), "long schema")
    assert bad == []
