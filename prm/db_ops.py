"""Database-side tenancy: the migration operation that walls a tenant table in.

``TenantTable("model")`` goes into the migration right after a tenant model is created
or gains a foreign key (our ``makemigrations`` appends it by itself). It is idempotent
and, for the table, ensures:

* ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` with a policy on ``app.tenant_id``;
* a unique constraint on ``(tenant_id, id)`` for composite foreign keys to point at;
* for every foreign key to another tenant table, a composite constraint
  ``(tenant_id, x_id) → (tenant_id, id)``, because foreign-key checks do not pass through
  row-level security and would otherwise accept a row pointing into another tenant.
"""

from __future__ import annotations

from django.db import models
from django.db.migrations.operations.base import Operation

POLICY_NAME = "tenant_isolation"
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def _short(name: str) -> str:
    """PostgreSQL cuts identifiers at 63 bytes; cut them ourselves so lookups match."""
    return name[:63]


def tenant_unique_name(table: str) -> str:
    return _short(f"{table}_tenant_id_id_uniq")


def tenant_fk_name(table: str, column: str) -> str:
    return _short(f"{table}_{column}_tenant_fk")


def is_tenant_model(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("tenant")
    except Exception:
        return False
    return bool(field.is_relation and field.related_model._meta.label_lower == "prm.tenant")


class TenantTable(Operation):
    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self):
        return (self.__class__.__name__, [self.model_name], {})

    def state_forwards(self, app_label, state):
        pass

    def describe(self) -> str:
        return f"Tenant walls (row-level security, composite keys) for {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"tenant_{self.model_name.lower()}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        qn = schema_editor.quote_name
        table = model._meta.db_table
        schema_editor.execute(f"ALTER TABLE {qn(table)} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {qn(table)} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {qn(table)}")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {qn(table)} "
            f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
        )
        _ensure_tenant_unique(schema_editor, table)
        for field in model._meta.concrete_fields:
            if (
                not field.is_relation
                or field.name == "tenant"
                or not is_tenant_model(field.related_model)
            ):
                continue
            parent = field.related_model._meta.db_table
            # The parent's walls may come later in the same migration; its key must exist now.
            _ensure_tenant_unique(schema_editor, parent)
            name = tenant_fk_name(table, field.column)
            if _constraint_exists(schema_editor, table, name):
                continue
            schema_editor.execute(
                f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} "
                f"FOREIGN KEY (tenant_id, {qn(field.column)}) "
                f"REFERENCES {qn(parent)} (tenant_id, id) DEFERRABLE INITIALLY DEFERRED"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # Reversing the CreateModel/AddField that came before drops what this added.
        pass


def _ensure_tenant_unique(schema_editor, table: str) -> None:
    unique = tenant_unique_name(table)
    if not _constraint_exists(schema_editor, table, unique):
        qn = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(unique)} UNIQUE (tenant_id, id)"
        )


def _constraint_exists(schema_editor, table: str, name: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND conname = %s",
            [schema_editor.quote_name(table), name],
        )
        return cursor.fetchone() is not None


def run_in_each_tenant(schema_editor, sql: str) -> None:
    """Run ``sql`` once per tenant, inside its scope: row-level security is forced on the
    owner too, so a data migration sees and writes one tenant's rows at a time."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM prm_tenant ORDER BY id")
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(sql)
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")
