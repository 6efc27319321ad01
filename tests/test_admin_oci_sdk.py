"""The OCI Python SDK, unchanged, against mockidp's admin API: IdentityDomainsClient with an ordinary API-key
config (requests signed by oci/signer.py), and with a signer that sends a Bearer access token instead."""

from __future__ import annotations

import oci
import pytest
from oci.identity_domains import models

from tests.helpers import password_tokens
from tests.oci_support import (
    ERIN,
    ERIN_FINGERPRINT,
    TENANCY,
    BearerSigner,
    fingerprint_of,
    new_private_key,
    oci_config,
    public_pem,
    sdk_client,
    user_ocid,
    write_private_key,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
API_KEY_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:apikey"


def test_get_me(idp):
    me = sdk_client(idp).get_me().data
    assert isinstance(me, models.Me)
    assert me.user_name == ERIN
    assert me.ocid == user_ocid(idp)


def test_list_users_with_a_filter_and_attribute_sets(idp):
    client = sdk_client(idp)
    found = client.list_users(filter='userName eq "bob@example.com"', attribute_sets=["all"]).data
    assert isinstance(found, models.Users)
    assert found.total_results == 1
    assert [user.user_name for user in found.resources] == ["bob@example.com"]
    assert found.resources[0].name.given_name == "Bob"
    nobody = client.list_users(filter='userName eq "nobody@example.com"').data
    assert nobody.total_results == 0
    assert nobody.resources == []


def test_paging_with_limit_and_opc_next_page(idp):
    client = sdk_client(idp)
    everyone = {user.user_name for user in client.list_users(count=1000).data.resources}
    assert {ERIN, "bob@example.com", "user@example.com"} <= everyone
    first = client.list_users(limit=1)
    assert len(first.data.resources) == 1
    assert first.headers.get("opc-next-page")
    pages = list(oci.pagination.list_call_get_all_results_generator(client.list_users, "response", limit=1))
    assert len(pages) == len(everyone)
    assert all(len(page.data.resources) == 1 for page in pages)
    assert {page.data.resources[0].user_name for page in pages} == everyone
    assert not pages[-1].headers.get("opc-next-page")


def test_user_lifecycle(fresh_idp):
    client = sdk_client(fresh_idp)
    created = client.create_user(
        user=models.User(
            schemas=[USER_SCHEMA],
            user_name="frank@example.com",
            name=models.UserName(given_name="Frank", family_name="Sdk"),
            emails=[models.UserEmails(value="frank@example.com", type="work", primary=True)],
        )
    ).data
    assert created.user_name == "frank@example.com"
    assert created.id
    assert client.get_user(created.id).data.name.family_name == "Sdk"

    replaced = client.put_user(
        created.id,
        user=models.User(
            schemas=[USER_SCHEMA],
            user_name="frank@example.com",
            name=models.UserName(given_name="Frank", family_name="Replaced"),
            emails=[models.UserEmails(value="frank@example.com", type="work", primary=True)],
        ),
    ).data
    assert replaced.name.family_name == "Replaced"

    patched = client.patch_user(
        created.id,
        patch_op=models.PatchOp(
            schemas=[PATCH_OP], operations=[models.Operations(op="REPLACE", path="displayName", value="Frank P.")]
        ),
    ).data
    assert patched.display_name == "Frank P."

    client.delete_user(created.id, force_delete=True)
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.get_user(created.id)
    assert gone.value.status == 404


def test_group_lifecycle(fresh_idp):
    client = sdk_client(fresh_idp)
    bob = client.list_users(filter='userName eq "bob@example.com"').data.resources[0]
    created = client.create_group(
        group=models.Group(
            schemas=[GROUP_SCHEMA],
            display_name="SDK testers",
            members=[models.GroupMembers(value=bob.id, type="User")],
        ),
        attributes="members",  # returned on request only, as in the real service
    ).data
    assert created.display_name == "SDK testers"
    assert [member.value for member in created.members] == [bob.id]
    listed = client.list_groups(filter='displayName eq "SDK testers"').data
    assert [group.id for group in listed.resources] == [created.id]

    replaced = client.put_group(
        created.id, group=models.Group(schemas=[GROUP_SCHEMA], display_name="SDK testers 2", members=[])
    ).data
    assert replaced.display_name == "SDK testers 2"
    patched = client.patch_group(
        created.id,
        patch_op=models.PatchOp(
            schemas=[PATCH_OP], operations=[models.Operations(op="ADD", path="members", value=[{"value": bob.id}])]
        ),
        attributes="members",
    ).data
    assert [member.value for member in patched.members] == [bob.id]
    assert client.get_group(created.id).data.display_name == "SDK testers 2"

    client.delete_group(created.id, force_delete=True)
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.get_group(created.id)
    assert gone.value.status == 404


def test_api_keys_list_create_delete_take_effect_at_once(fresh_idp, tmp_path):
    client = sdk_client(fresh_idp)
    erin_id = client.get_me().data.id
    listed = client.list_api_keys(filter=f'user.value eq "{erin_id}"').data
    assert isinstance(listed, models.ApiKeys)
    assert [key.fingerprint for key in listed.resources] == [ERIN_FINGERPRINT]
    assert listed.resources[0].user.ocid == user_ocid(fresh_idp)

    private = new_private_key()
    created = client.create_api_key(
        api_key=models.ApiKey(schemas=[API_KEY_SCHEMA], key=public_pem(private), user=models.ApiKeyUser(value=erin_id))
    ).data
    assert created.fingerprint == fingerprint_of(private)
    assert created.key.strip() == public_pem(private).strip()
    assert created.user.value == erin_id

    key_file = tmp_path / "new-key.pem"
    write_private_key(private, key_file)
    with_new_key = sdk_client(
        fresh_idp, config=oci_config(fresh_idp, key_file=key_file, fingerprint=created.fingerprint)
    )
    assert with_new_key.get_me().data.user_name == ERIN  # signs at once

    assert {key.fingerprint for key in client.list_api_keys().data.resources} >= {ERIN_FINGERPRINT, created.fingerprint}
    assert client.get_api_key(created.id).data.fingerprint == created.fingerprint

    client.delete_api_key(created.id)
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        with_new_key.get_me()
    assert refused.value.status == 401
    assert "names no API key" in fresh_idp.requests()[-1].reason
    assert client.get_me().data.user_name == ERIN  # the fixture key still works


def test_deleting_the_fixture_key_stops_it_until_reset(fresh_idp):
    client = sdk_client(fresh_idp)
    fixture_key = client.list_api_keys(filter=f'fingerprint eq "{ERIN_FINGERPRINT}"').data.resources[0]
    client.delete_api_key(fixture_key.id)
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        client.get_me()
    assert refused.value.status == 401
    fresh_idp.reset()
    assert client.get_me().data.user_name == ERIN


def test_create_api_key_errors(fresh_idp):
    client = sdk_client(fresh_idp)
    erin_id = client.get_me().data.id
    with pytest.raises(oci.exceptions.ServiceError) as bad:
        client.create_api_key(
            api_key=models.ApiKey(schemas=[API_KEY_SCHEMA], key="not a key", user=models.ApiKeyUser(value=erin_id))
        )
    assert bad.value.status == 400
    assert "not a PEM public key" in str(bad.value)  # the SDK keeps the SCIM detail in the error's text
    with pytest.raises(oci.exceptions.ServiceError) as duplicate:
        client.create_api_key(
            api_key=models.ApiKey(
                schemas=[API_KEY_SCHEMA],
                key=(fresh_idp.fixtures / "erin-api.pub.pem").read_text(),
                user=models.ApiKeyUser(value=erin_id),
            )
        )
    assert duplicate.value.status == 409
    for _ in range(2):
        client.create_api_key(
            api_key=models.ApiKey(
                schemas=[API_KEY_SCHEMA],
                key=public_pem(new_private_key()),
                user=models.ApiKeyUser(ocid=user_ocid(fresh_idp)),
            )
        )
    with pytest.raises(oci.exceptions.ServiceError) as too_many:
        client.create_api_key(
            api_key=models.ApiKey(
                schemas=[API_KEY_SCHEMA], key=public_pem(new_private_key()), user=models.ApiKeyUser(value=erin_id)
            )
        )
    assert too_many.value.status == 400
    assert "already has 3 API keys" in str(too_many.value)


def test_list_my_apps(idp):
    apps = sdk_client(idp).list_my_apps().data
    assert isinstance(apps, models.MyApps)
    assert apps.total_results == len(apps.resources) == 3
    # The default fixtures' clients that sign users in (code, implicit, device code, password).
    assert {account.app.display for account in apps.resources} == {
        "Seed confidential app",
        "Public SPA",
        "Living-room TV",
    }
    assert {account.owner.value for account in apps.resources} == {sdk_client(idp).get_me().data.id}
    assert all(account.name == ERIN and account.active for account in apps.resources)
    assert idp.domain is not None
    seed = idp.domain.client("04c1e0a50787408782a5a06fb04f6522")
    assert seed.guid in {account.app.value for account in apps.resources}


def test_my_apps_needs_a_user(idp):
    from tests.helpers import token_for

    token = token_for(idp, grant_type="client_credentials", scope="urn:opc:idm:__myscopes__")["access_token"]
    client = oci.identity_domains.IdentityDomainsClient(
        {}, signer=BearerSigner(token), service_endpoint=idp.url, retry_strategy=oci.retry.NoneRetryStrategy()
    )
    with pytest.raises(oci.exceptions.ServiceError) as forbidden:
        client.list_my_apps()
    assert forbidden.value.status == 403  # a client holds no urn:opc:idm:t.user.me
    assert "error.common.exception.insufficientScope" in str(forbidden.value)


def test_an_api_keys_description_can_be_patched_and_nothing_else(fresh_idp):
    client = sdk_client(fresh_idp)
    key = client.list_api_keys().data.resources[0]
    patched = client.patch_api_key(
        key.id,
        patch_op=models.PatchOp(
            schemas=[PATCH_OP], operations=[models.Operations(op="REPLACE", path="description", value="laptop")]
        ),
    ).data
    assert patched.description == "laptop"
    assert patched.fingerprint == ERIN_FINGERPRINT
    assert client.get_me().data.user_name == ERIN  # still signs
    with pytest.raises(oci.exceptions.ServiceError) as immutable:
        client.patch_api_key(
            key.id,
            patch_op=models.PatchOp(
                schemas=[PATCH_OP],
                operations=[models.Operations(op="REPLACE", path="key", value=public_pem(new_private_key()))],
            ),
        )
    assert immutable.value.status == 400


def test_a_user_without_admin_roles_is_forbidden_not_unauthorized(fresh_idp, tmp_path):
    private = new_private_key()
    (tmp_path / "bob.pub.pem").write_text(public_pem(private))
    admin = sdk_client(fresh_idp)
    bob = admin.list_users(filter='userName eq "user@example.com"').data.resources[0]
    created = admin.create_api_key(
        api_key=models.ApiKey(schemas=[API_KEY_SCHEMA], key=public_pem(private), user=models.ApiKeyUser(value=bob.id))
    ).data
    key_file = tmp_path / "user.pem"
    write_private_key(private, key_file)
    as_user = sdk_client(
        fresh_idp, config=oci_config(fresh_idp, "user@example.com", key_file=key_file, fingerprint=created.fingerprint)
    )
    assert as_user.get_me().data.user_name == "user@example.com"
    with pytest.raises(oci.exceptions.ServiceError) as forbidden:
        as_user.list_users()
    assert forbidden.value.status == 403


def test_bearer_token_through_a_custom_signer(idp):
    token = password_tokens(idp, "urn:opc:idm:__myscopes__", user=ERIN)["access_token"]
    client = oci.identity_domains.IdentityDomainsClient(
        {},
        signer=BearerSigner(token),
        service_endpoint=idp.url,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    assert client.get_me().data.user_name == ERIN
    assert client.list_users(filter=f'userName eq "{ERIN}"').data.total_results == 1
    assert [key.fingerprint for key in client.list_api_keys().data.resources] == [ERIN_FINGERPRINT]


def test_wrong_fingerprint_in_the_config_is_a_401(idp):
    config = oci_config(idp, fingerprint=fingerprint_of(new_private_key()))
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        sdk_client(idp, config=config).get_me()
    assert refused.value.status == 401
    assert "names no API key" in idp.requests()[-1].reason


def test_the_tenancy_in_the_docs_is_the_domains(idp):
    me = sdk_client(idp).get_me().data
    assert me.tenancy_ocid == TENANCY


def test_a_deleted_user_takes_their_api_keys(fresh_idp):
    client = sdk_client(fresh_idp)
    user = client.create_user(
        user=models.User(
            schemas=[USER_SCHEMA],
            user_name="keyed@example.com",
            name=models.UserName(given_name="Keyed", family_name="User"),
            emails=[models.UserEmails(value="keyed@example.com", type="work", primary=True)],
        )
    ).data
    key = client.create_api_key(
        api_key=models.ApiKey(
            schemas=[API_KEY_SCHEMA], key=public_pem(new_private_key()), user=models.ApiKeyUser(value=user.id)
        )
    ).data
    assert key.user.ocid == user.ocid
    client.delete_user(user.id, force_delete=True)
    assert key.id not in {listed.id for listed in client.list_api_keys().data.resources}
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.get_api_key(key.id)
    assert gone.value.status == 404
    # The next write forgets the orphaned record.
    client.create_api_key(
        api_key=models.ApiKey(
            schemas=[API_KEY_SCHEMA],
            key=public_pem(new_private_key()),
            user=models.ApiKeyUser(ocid=user_ocid(fresh_idp)),
        )
    )
    assert fresh_idp.domain is not None
    assert key.id not in dict(fresh_idp.domain.store.items("admin_api_keys"))
