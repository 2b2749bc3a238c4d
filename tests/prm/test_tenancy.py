"""The tenant scope in Python: host resolution, nesting, cache keys, migrations complete."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from prm.middleware import tenant_slug_from_host
from prm.models import Membership
from prm.tenancy import get_current_tenant, tenant_scope


@pytest.mark.parametrize(("host", "slug"), [
    ("acme.localhost", "acme"),
    ("acme.localhost:8000", "acme"),
    ("ACME.localhost.", "acme"),
    ("localhost:8000", None),
    ("a.b.localhost", None),
    ("acme.example.com", None),
    ("evil-localhost", None),
])
def test_tenant_slug_from_host(host, slug):
    assert tenant_slug_from_host(host) == slug


def test_nested_scopes_restore_the_outer_tenant(cast):
    def db_tenant():
        with connection.cursor() as cursor:
            cursor.execute("SELECT NULLIF(current_setting('app.tenant_id', true), '')")
            return cursor.fetchone()[0]

    with tenant_scope(cast.acme):
        with tenant_scope(cast.globex):
            assert get_current_tenant() == cast.globex
            assert db_tenant() == str(cast.globex.pk)
            assert set(Membership.objects.values_list("tenant_id", flat=True)) == {cast.globex.pk}
        assert get_current_tenant() == cast.acme
        assert db_tenant() == str(cast.acme.pk)
    assert get_current_tenant() is None
    assert db_tenant() is None


def test_a_failing_block_leaves_no_tenant_behind(cast):
    with pytest.raises(ZeroDivisionError), tenant_scope(cast.acme):
        1 / 0  # noqa: B018
    assert get_current_tenant() is None


def test_cache_entries_are_per_tenant(cast):
    with tenant_scope(cast.acme):
        cache.set("greeting", "hello acme")
    with tenant_scope(cast.globex):
        assert cache.get("greeting") is None
    with tenant_scope(cast.acme):
        assert cache.get("greeting") == "hello acme"
    assert cache.get("greeting") is None


def test_failed_sign_ins_lock_out_per_tenant(cast):
    from tests.conftest import tenant_client
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=cast.globex, user=cast.manager.user, role="channel_manager")
    acme = tenant_client(cast.acme)
    for _ in range(5):
        acme.post("/accounts/login/", {"login": "max@acme.test", "password": "wrong"})
    from tests.factories import TEST_PASSWORD

    acme.post("/accounts/login/", {"login": "max@acme.test", "password": TEST_PASSWORD})
    assert "_auth_user_id" not in acme.session
    # The lock-out is kept under acme's keys: the same person is not locked out at globex.
    globex = tenant_client(cast.globex)
    globex.post("/accounts/login/", {"login": "max@acme.test", "password": TEST_PASSWORD})
    assert globex.session.get("_auth_user_id") == str(cast.manager.user_id)


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
