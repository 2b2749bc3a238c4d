"""Tenancy enforced by PostgreSQL itself, checked as the application's real role."""

from __future__ import annotations

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from prm.catalog import GLOBAL_MODELS, tenancy_problems
from prm.db_roles import owner_credentials
from prm.models import Membership
from prm.tenancy import TenantModel, TenantNotSet, tenant_scope


def _conninfo(owner: bool = False) -> str:
    db = connection.settings_dict
    creds = owner_credentials() if owner else db
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], user=creds["USER"], password=creds["PASSWORD"] or None,
        host=creds["HOST"] or None, port=creds["PORT"] or None,
    )


def test_a_query_without_tenant_raises(cast):
    with pytest.raises(TenantNotSet):
        list(Membership.objects.all())


def test_the_tests_run_as_the_unprivileged_app_role(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        )
        user, superuser, bypass = cursor.fetchone()
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'prm_membership'")
        (owner,) = cursor.fetchone()
    assert user == settings.PRM_APP_DB_ROLE
    assert not superuser
    assert not bypass
    assert owner != user


def test_raw_select_sees_only_the_tenant_that_is_set(cast):
    with tenant_scope(cast.acme), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM prm_membership")
        assert cursor.fetchall() == [(cast.acme.pk,)]
    with tenant_scope(cast.globex), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM prm_membership")
        assert cursor.fetchall() == [(cast.globex.pk,)]


def test_raw_select_without_tenant_returns_nothing(cast):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM prm_membership")
        assert cursor.fetchone() == (0,)


def test_raw_insert_for_another_tenant_is_refused(cast):
    with tenant_scope(cast.acme), pytest.raises(DatabaseError, match="row-level security"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO prm_membership (tenant_id, user_id, role, is_active, created_at) "
            "VALUES (%s, %s, 'partner_user', true, now())",
            [cast.globex.pk, cast.manager.user_id],
        )
    with tenant_scope(cast.globex):
        assert not Membership.objects.filter(user_id=cast.manager.user_id).exists()


def test_raw_insert_pointing_at_another_tenants_row_is_refused(cast):
    # Same tenant on the row, but its membership belongs to globex: the plain foreign key
    # would accept it (FK checks skip row-level security); the composite key refuses it.
    def insert(cursor):
        cursor.execute(
            "INSERT INTO prm_apikey (tenant_id, membership_id, name, prefix, hashed_secret, "
            "created_at) VALUES (%s, %s, 'x', 'deadbeef', 'x', now())",
            [cast.acme.pk, cast.other_admin.pk],
        )

    with tenant_scope(cast.acme), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(IntegrityError, match="tenant_fk"), transaction.atomic():
            insert(cursor)


@pytest.mark.django_db(transaction=True)
def test_a_reused_or_new_connection_starts_without_tenant():
    with psycopg.connect(_conninfo()) as conn:
        with conn.transaction():
            conn.execute("SELECT set_config('app.tenant_id', '42', true)")
            assert conn.execute("SELECT current_setting('app.tenant_id')").fetchone() == ("42",)
        # The same pooled connection, next transaction: the tenant died with the last one.
        value = conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
        assert value in (None, "")
    with psycopg.connect(_conninfo()) as fresh:
        value = fresh.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
        assert value is None


def test_every_model_is_tenant_owned_or_on_the_global_list():
    strays = [
        model._meta.label for model in apps.get_models(include_auto_created=False)
        if not issubclass(model, TenantModel) and model._meta.label not in GLOBAL_MODELS
    ]
    assert strays == []


def test_catalogue_check_passes_on_the_migrated_database(django_db_setup):
    with psycopg.connect(_conninfo(owner=True)) as conn:
        assert tenancy_problems(conn.cursor()) == []


BREAKAGES = {
    "policy dropped": ("DROP POLICY tenant_isolation ON prm_membership",
                       "prm_membership: no policy"),
    "rls not forced": ("ALTER TABLE prm_invitation NO FORCE ROW LEVEL SECURITY",
                       "prm_invitation: row-level security is not forced"),
    "rls disabled": ("ALTER TABLE prm_event DISABLE ROW LEVEL SECURITY",
                     "prm_event: row-level security is not enabled"),
    "composite key dropped": (
        "ALTER TABLE prm_apikey DROP CONSTRAINT prm_apikey_membership_id_tenant_fk",
        "prm_apikey.membership_id: foreign key"),
    "uniqueness without tenant": ("CREATE UNIQUE INDEX bad_uniq ON prm_apikey (prefix)",
                                  "does not lead with tenant_id"),
    "table neither tenant nor global": ("CREATE TABLE stray (id int)",
                                        "stray: has no tenant_id"),
}


@pytest.mark.parametrize(("statement", "expected"), BREAKAGES.values(), ids=BREAKAGES.keys())
def test_catalogue_check_fails_when_a_wall_is_missing(django_db_setup, statement, expected):
    with psycopg.connect(_conninfo(owner=True)) as conn:
        try:
            conn.execute(statement)
            problems = tenancy_problems(conn.cursor())
        finally:
            conn.rollback()
        assert any(expected in problem for problem in problems), problems
        assert tenancy_problems(conn.cursor()) == []
