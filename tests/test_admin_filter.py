"""The filter engine's two ways of answering agree: a predicate per resource (PATCH value paths, index hits) and
`select` over a whole list's value columns (listings). Checked on real SCIM resources of a loaded domain."""

from __future__ import annotations

import pytest

from mockidp.core.admin import RESOURCE_TYPES, users
from mockidp.core.admin.filter import Columns, compile_filter
from mockidp.core.domain import IdentityDomain
from tests.admin_support import write_admin_fixtures

FILTERS = [
    'userName eq "alice@example.com"',
    'userName ne "alice@example.com"',
    'userName co "A"',
    'userName sw "d" or userName ew ".com"',
    "active eq true",
    "active ne true",
    'not (active eq true) or name.givenName sw "al"',
    'emails.value co "corp"',
    'emails.value eq "DAVE@EXAMPLE.COM"',
    'emails[type eq "work" and value co "example"]',
    'emails[type eq "recovery"] and not (userName sw "e")',
    'groups.display eq "auditors" and groups.display eq "developers"',
    "groups pr",
    'id eq "0123456789abcdef0123456789abcdef"',
    'urn:ietf:params:scim:schemas:oracle:idcs:extension:user:User:status eq "verified"',
    'meta.created ge "2000-01-01T00:00:00Z"',
    "nickName pr",
    "displayName eq null",
]


@pytest.fixture(scope="module")
def domain(tmp_path_factory: pytest.TempPathFactory) -> IdentityDomain:
    return IdentityDomain.load(write_admin_fixtures(tmp_path_factory.mktemp("filter")))


@pytest.mark.parametrize("expression", FILTERS)
def test_select_agrees_with_the_predicate(domain, expression):
    docs = users.list_users(domain)
    compiled = compile_filter(expression, RESOURCE_TYPES["Users"])
    by_predicate = {i for i, doc in enumerate(docs) if compiled(doc)}
    assert compiled.select(Columns(docs)) == by_predicate
    half = set(range(0, len(docs), 2))
    assert compiled.select(Columns(docs), half) == by_predicate & half


def test_the_filters_are_not_trivial(domain):
    docs = users.list_users(domain)
    counts = {len([d for d in docs if compile_filter(e, RESOURCE_TYPES["Users"])(d)]) for e in FILTERS}
    assert counts >= {0, 1, 2, 3}
