"""The admin API through the real OCI Python SDK (`oci.identity_domains.IdentityDomainsClient`) with a Bearer token.

`oci.auth.signers` has no bearer-token signer, but the SDK takes any `requests.auth.AuthBase` as `signer=`; with a
signer it still checks that the config has the usual keys, so the config carries placeholders it never uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import oci
import pytest
import requests
from oci.identity_domains import IdentityDomainsClient, models

from mockidp.testing import MockIdP
from tests.admin_support import (
    ALICE,
    ALICE_ID,
    DAVE,
    ERIN,
    GROUP_SCHEMA,
    USER_SCHEMA,
    client_token,
    user_token,
    write_admin_fixtures,
)

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
UNUSED_CONFIG = {  # checked for shape by the SDK, never used with a signer of our own
    "user": "ocid1.user.oc1..unused",
    "tenancy": "ocid1.tenancy.oc1..unused",
    "fingerprint": "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
    "key_file": "unused.pem",
    "region": "us-ashburn-1",
}


class BearerSigner(requests.auth.AuthBase):
    """What the SDK calls to sign each request: here, an OAuth access token of the identity domain."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    with MockIdP(write_admin_fixtures(tmp_path_factory.mktemp("sdk"))) as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdP) -> Iterator[MockIdP]:
    yield server
    server.reset()


def client_for(idp: MockIdP, token: str) -> IdentityDomainsClient:
    return IdentityDomainsClient(UNUSED_CONFIG, idp.url, signer=BearerSigner(token))


@pytest.fixture
def client(idp: MockIdP) -> IdentityDomainsClient:
    return client_for(idp, client_token(idp))


def sdk_user(user_name: str, **more) -> models.User:
    return models.User(
        schemas=[USER_SCHEMA],
        user_name=user_name,
        name=models.UserName(family_name="Kit", given_name="Sdk"),
        emails=[models.UserEmails(value=user_name, type="work", primary=True)],
        **more,
    )


def test_get_me(idp):
    me = client_for(idp, user_token(idp, DAVE, scope="urn:opc:idm:t.user.me")).get_me()
    assert me.status == 200
    assert isinstance(me.data, models.Me)
    assert me.data.user_name == DAVE and me.data.active is True
    assert me.data.meta.resource_type == "Me"


def test_list_users_with_filter_and_attribute_sets(client):
    response = client.list_users(
        filter='userName sw "a" or userName sw "d"', attribute_sets=["all"], sort_by="userName"
    )
    assert isinstance(response.data, models.Users)
    assert response.data.total_results == 2
    alice = response.data.resources[0]
    assert (alice.user_name, alice.id) == (ALICE, ALICE_ID)
    extension = alice.urn_ietf_params_scim_schemas_oracle_idcs_extension_user_user
    assert extension.is_federated_user is False and extension.creation_mechanism == "import"
    assert alice.name.family_name == "Admin" and alice.emails[0].primary is True
    assert [g.display for g in alice.groups] == ["Auditors"]


def test_paging_with_the_sdk_paginator(client):
    pages = list(
        oci.pagination.list_call_get_all_results_generator(client.list_users, "response", limit=1, sort_by="userName")
    )
    assert [[u.user_name for u in page.data.resources] for page in pages] == [[ALICE], [DAVE], [ERIN]]
    assert [page.next_page for page in pages] == ["2", "3", None]
    filtered = oci.pagination.list_call_get_all_results_generator(
        client.list_users, "response", limit=2, filter='emails.value ew "example.com"'
    )
    assert sorted(u.user_name for page in filtered for u in page.data.resources) == [ALICE, DAVE]


def test_user_lifecycle(client):
    created = client.create_user(user=sdk_user("sdk@example.com", password="Sdk-pass-1", title="Robot"))
    assert created.status == 201
    user_id = created.data.id
    assert created.headers["etag"] == f'W/"{created.data.meta.version}"'
    fetched = client.get_user(user_id)
    assert fetched.data.title == "Robot" and fetched.data.user_name == "sdk@example.com"

    replaced = client.put_user(
        user_id, user=sdk_user("sdk@example.com", title="Android"), if_match=created.headers["etag"]
    )
    assert replaced.data.title == "Android"

    patched = client.patch_user(
        user_id,
        patch_op=models.PatchOp(
            schemas=[PATCH_OP],
            operations=[
                models.Operations(op="REPLACE", path="active", value=False),
                models.Operations(op="ADD", path="nickName", value="R2"),
            ],
        ),
    )
    assert patched.data.active is False and patched.data.nick_name == "R2"

    searched = client.search_users(
        user_search_request=models.UserSearchRequest(
            schemas=["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            filter="active eq false",
            attributes=["userName"],
        )
    )
    assert sorted(u.user_name for u in searched.data.resources) == [ERIN, "sdk@example.com"]

    assert client.delete_user(user_id).status == 204
    with pytest.raises(oci.exceptions.ServiceError) as missing:
        client.get_user(user_id)
    assert missing.value.status == 404


def test_group_lifecycle(client):
    created = client.create_group(
        group=models.Group(
            schemas=[GROUP_SCHEMA],
            display_name="SDK group",
            members=[models.GroupMembers(value=ALICE_ID, type="User")],
        ),
        attributes="members",
    )
    assert created.status == 201
    group_id = created.data.id
    assert [m.value for m in created.data.members] == [ALICE_ID]
    listed = client.list_groups(filter='displayName eq "sdk group"', attributes="members,displayName")
    assert listed.data.total_results == 1 and listed.data.resources[0].members[0].name == ALICE

    patched = client.patch_group(
        group_id,
        patch_op=models.PatchOp(
            schemas=[PATCH_OP], operations=[models.Operations(op="REMOVE", path=f'members[value eq "{ALICE_ID}"]')]
        ),
        attributes="members",
    )
    assert patched.data.members is None
    renamed = client.put_group(group_id, group=models.Group(schemas=[GROUP_SCHEMA], display_name="SDK group 2"))
    assert renamed.data.display_name == "SDK group 2"
    assert client.get_group(group_id).data.display_name == "SDK group 2"
    assert client.delete_group(group_id).status == 204


def test_sdk_errors_carry_the_status(idp):
    plain = client_for(idp, user_token(idp, DAVE, scope="urn:opc:idm:t.user.me"))
    with pytest.raises(oci.exceptions.ServiceError) as forbidden:
        plain.list_users()
    assert forbidden.value.status == 403
    with pytest.raises(oci.exceptions.ServiceError) as unauthorized:
        client_for(idp, "not-a-token").get_me()
    assert unauthorized.value.status == 401
