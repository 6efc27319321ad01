"""API keys in a shared store: two `mockidp serve` processes on one redis-server are one identity domain, so an
API key created through one signs requests at the other at once, and deleting it at either stops it at both."""

from __future__ import annotations

import oci
import pytest
from oci.identity_domains import models
from redis_support import redis_server, redis_url, serve  # noqa: F401 - fixtures

from tests.oci_support import (
    ERIN,
    ERIN_FINGERPRINT,
    ERIN_KEY_FILE,
    TENANCY,
    fingerprint_of,
    new_private_key,
    public_pem,
    write_private_key,
)

ERIN_OCID = "ocid1.user.oc1..aaaaaaaainrzgesiwyxdc5xa25jknumdjye7xrtafxlxoqden4tui2epb7va"
API_KEY_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:apikey"


def _client(url: str, key_file, fingerprint: str) -> oci.identity_domains.IdentityDomainsClient:
    config = {
        "tenancy": TENANCY,
        "user": ERIN_OCID,
        "fingerprint": fingerprint,
        "key_file": str(key_file),
        "region": "us-ashburn-1",
    }
    return oci.identity_domains.IdentityDomainsClient(
        config, service_endpoint=url, retry_strategy=oci.retry.NoneRetryStrategy()
    )


def test_an_api_key_created_at_one_process_signs_at_the_other(serve, redis_url, tmp_path) -> None:
    a, b = serve("--store", redis_url), serve("--store", redis_url)
    admin_a = _client(a.url, ERIN_KEY_FILE, ERIN_FINGERPRINT)
    me = admin_a.get_me().data
    assert me.user_name == ERIN and me.ocid == ERIN_OCID

    private = new_private_key()
    created = admin_a.create_api_key(
        api_key=models.ApiKey(schemas=[API_KEY_SCHEMA], key=public_pem(private), user=models.ApiKeyUser(value=me.id))
    ).data
    assert created.fingerprint == fingerprint_of(private)
    key_file = write_private_key(private, tmp_path / "new.pem")
    at_b = _client(b.url, key_file, created.fingerprint)
    assert at_b.get_me().data.user_name == ERIN  # signs at the other process at once

    _client(b.url, ERIN_KEY_FILE, ERIN_FINGERPRINT).delete_api_key(created.id)
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        _client(a.url, key_file, created.fingerprint).get_me()
    assert refused.value.status == 401
