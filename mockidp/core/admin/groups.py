"""`/admin/v1/Groups` and group membership, the one place tokens, userinfo and Users read it from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockidp.core.domain import IdentityDomain
    from mockidp.core.model import User

GROUPS = "admin_groups"  # group id -> {"rev", "values"} or a tombstone {"rev", "removed": True}
REVISION_NS, REVISION = "runtime", "groups"


def revision(domain: IdentityDomain) -> str:
    """Changes whenever a group changes: caches of user resources and memberships key on it."""
    record = domain.store.get(REVISION_NS, REVISION)
    return record["rev"] if record else "fixtures"


def of_user(domain: IdentityDomain, user: User) -> list[tuple[str, str]]:
    """(group id, display name) of every group the user is a member of."""
    return [(domain.fixtures.groups and _fixture_id(domain, name), name) for name in user.groups]


def _fixture_id(domain: IdentityDomain, name: str) -> str:
    from mockidp.core import ids

    return ids.stable_guid("group", domain.tenant, name)
