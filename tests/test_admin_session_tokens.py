"""Session-token signatures on /admin/v1: a workload trades its CI token for an OCI UPST (token exchange, through
the OCI SDK's TokenExchangeSigner) and the same signer then calls the admin API with keyId "ST$<UPST>",
signed with its session key. No API key anywhere."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import oci
import pytest
import requests
from oci.auth.signers import TokenExchangeSigner
from s2s_support import (
    CI_ISSUER,
    KEY_CLIENT,
    KEY_CLIENT_SECRET,
    SERVICE_USER,
    Keys,
    claims,
    make_keys,
    write_fixture_dir,
)

from mockidp.testing import MockIdP
from tests.oci_support import (
    UNAUTHORIZED,
    assert_scim_401,
    cli_env,
    new_private_key,
    oci_cli_executable,
    signed_request,
    write_config_file,
    write_private_key,
)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return make_keys()


@pytest.fixture
def idp(keys: Keys, tmp_path) -> Iterator[MockIdP]:
    with MockIdP(write_fixture_dir(tmp_path / "s2s", keys)) as server:
        yield server


def _signer(idp: MockIdP, keys: Keys) -> TokenExchangeSigner:
    ci = keys.ci.sign(claims(CI_ISSUER, "repo:acme/app", "mockidp", repository="acme/app", ref="refs/heads/main"))
    return TokenExchangeSigner(ci, idp.url, KEY_CLIENT, KEY_CLIENT_SECRET)


def _client(idp: MockIdP, signer: object) -> oci.identity_domains.IdentityDomainsClient:
    return oci.identity_domains.IdentityDomainsClient(
        {}, signer=signer, service_endpoint=idp.url, retry_strategy=oci.retry.NoneRetryStrategy()
    )


def test_the_sdk_calls_the_admin_api_with_a_upst(idp, keys):
    signer = _signer(idp, keys)
    me = _client(idp, signer).get_me().data
    assert me.user_name == SERVICE_USER
    entry = idp.requests()[-1]
    assert entry.path == "/admin/v1/Me"
    assert entry.status == 200
    assert entry.authorization == "Signature"


def test_the_cli_with_auth_security_token(idp, keys, tmp_path):
    """`oci --auth security_token`: the session config `oci session authenticate` writes, with this UPST."""
    signer = _signer(idp, keys)
    (tmp_path / "token").write_text(signer.security_token_container.security_token)
    key_file = write_private_key(signer.session_key_supplier.get_key_pair()["private"], tmp_path / "session.pem")
    config = {
        "tenancy": "ocid1.tenancy.oc1..aaaaaaaaanytenancy",  # not in the signature: the UPST names the domain
        "region": "us-ashburn-1",
        "key_file": str(key_file),
        "security_token_file": str(tmp_path / "token"),
        "fingerprint": "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
    }
    command = [
        oci_cli_executable(),
        "identity-domains",
        "me",
        "get",
        "--auth",
        "security_token",
        "--endpoint",
        idp.url,
        "--config-file",
        str(write_config_file(tmp_path, config)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=cli_env(tmp_path), timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"]["user-name"] == SERVICE_USER


def test_a_revoked_upst_is_refused(idp, keys):
    signer = _signer(idp, keys)
    client = _client(idp, signer)
    assert client.get_me().data.user_name == SERVICE_USER
    upst = signer.security_token_container.security_token
    revoked = requests.post(idp.revoke_url, data={"token": upst}, auth=(KEY_CLIENT, KEY_CLIENT_SECRET), timeout=10)
    assert revoked.status_code == 200
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        client.get_me()
    assert refused.value.status == 401
    assert "The session token of keyId ST$… is not accepted: The token has been revoked." in str(refused.value)


def test_a_upst_signed_with_another_key_is_refused(idp, keys):
    upst = _signer(idp, keys).security_token_container.security_token
    response = signed_request(idp, "GET", "/admin/v1/Me", key=new_private_key(), key_id=f"ST${upst}")
    assert_scim_401(response)
    assert "does not verify with the session key of svc-deployer's session token" in idp.requests()[-1].reason


def test_an_access_token_is_not_a_session_token(idp, keys):
    token = requests.post(
        idp.token_url,
        data={"grant_type": "client_credentials", "scope": "urn:opc:idm:__myscopes__"},
        auth=(KEY_CLIENT, KEY_CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]
    response = signed_request(idp, "GET", "/admin/v1/Me", key_id=f"ST${token}")
    assert_scim_401(
        response,
        f"{UNAUTHORIZED} The request signature cannot be used: keyId ST$… must carry a user principal session "
        "token (a UPST from token exchange).",
    )


def test_garbage_after_st_dollar(idp):
    response = signed_request(idp, "GET", "/admin/v1/Me", key_id="ST$not-a-jwt")
    detail = f"{UNAUTHORIZED} The session token of keyId ST$… is not accepted: The token is not a JWT."
    assert_scim_401(response, detail)
