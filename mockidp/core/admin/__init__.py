"""The admin REST API (SCIM 2.0 under `/admin/v1`), with no HTTP in it.

`RESOURCE_TYPES` maps an endpoint name to its `ResourceType`: adding a type is one module that builds one
plus one entry here. The engine around it: `filter` (RFC 7644 filters), `listing` (paging, sorting,
projection, .search), `patch` (PatchOp), `meta`, `discovery` (ServiceProviderConfig, ResourceTypes, Schemas,
built from this table), `caller` (who calls, and may they), `errors` (the SCIM error body's messageIds).
"""

from __future__ import annotations

from mockidp.core.admin.api_keys import API_KEYS
from mockidp.core.admin.app_roles import APP_ROLE_TYPE
from mockidp.core.admin.apps import APP_TYPE
from mockidp.core.admin.custom_claims import CUSTOM_CLAIM_TYPE
from mockidp.core.admin.grants import GRANT_TYPE
from mockidp.core.admin.groups import GROUP_TYPE
from mockidp.core.admin.identity_propagation_trusts import IDENTITY_PROPAGATION_TRUST_TYPE
from mockidp.core.admin.me import ME_TYPE
from mockidp.core.admin.my_apps import MY_APPS
from mockidp.core.admin.resource import ResourceType
from mockidp.core.admin.users import USER_TYPE

RESOURCE_TYPES: dict[str, ResourceType] = {
    USER_TYPE.endpoint: USER_TYPE,
    GROUP_TYPE.endpoint: GROUP_TYPE,
    ME_TYPE.endpoint: ME_TYPE,
    APP_TYPE.endpoint: APP_TYPE,
    APP_ROLE_TYPE.endpoint: APP_ROLE_TYPE,
    GRANT_TYPE.endpoint: GRANT_TYPE,
    CUSTOM_CLAIM_TYPE.endpoint: CUSTOM_CLAIM_TYPE,
    IDENTITY_PROPAGATION_TRUST_TYPE.endpoint: IDENTITY_PROPAGATION_TRUST_TYPE,
    API_KEYS.endpoint: API_KEYS,
    MY_APPS.endpoint: MY_APPS,
}
