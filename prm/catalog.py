"""A check of tenancy over the database catalogue, not over Django's models.

It finds tenant tables by their ``tenant_id`` column, so a table created by hand, by a
forgotten migration operation or by a third-party app is judged the same way.
"""

from __future__ import annotations

# Tables without tenant_id that are global on purpose. Keep this list short.
GLOBAL_TABLES = frozenset({
    "prm_tenant",
    "prm_user",
    "prm_user_groups",
    "prm_user_user_permissions",
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "django_content_type",
    "django_migrations",
    "django_session",
    "django_admin_log",
    "account_emailaddress",
    "account_emailconfirmation",
    "mfa_authenticator",
})

# Models without a tenant: the same short list, as Django labels.
GLOBAL_MODELS = frozenset({
    "prm.Tenant",
    "prm.User",
    "auth.Group",
    "auth.Permission",
    "contenttypes.ContentType",
    "sessions.Session",
    "admin.LogEntry",
    "account.EmailAddress",
    "account.EmailConfirmation",
    "mfa.Authenticator",
})

_TABLES_SQL = """
SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""

_POLICIES_SQL = """
SELECT polrelid, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)
FROM pg_policy
"""

_UNIQUE_SQL = """
SELECT i.indrelid, i.indisprimary,
       ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.n)::text[],
       i.indexrelid::regclass::text
FROM pg_index i WHERE i.indisunique
"""

_FKS_SQL = """
SELECT con.conrelid, con.confrelid,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.n)::text[],
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.n)::text[]
FROM pg_constraint con WHERE con.contype = 'f'
"""


def tenancy_problems(cursor) -> list[str]:
    """Every way the current database breaks the tenancy rules, as readable lines."""
    cursor.execute(_TABLES_SQL)
    tables = {oid: (name, rls, force, has_tenant) for oid, name, rls, force, has_tenant
              in cursor.fetchall()}
    tenant_oids = {oid for oid, (_, _, _, has_tenant) in tables.items() if has_tenant}
    cursor.execute(_POLICIES_SQL)
    policed = {
        relid for relid, using, check in cursor.fetchall()
        if using and check and "app.tenant_id" in using and "app.tenant_id" in check
    }
    cursor.execute(_UNIQUE_SQL)
    uniques = cursor.fetchall()
    cursor.execute(_FKS_SQL)
    fks = cursor.fetchall()

    problems: list[str] = []
    for oid, (name, rls, force, has_tenant) in tables.items():
        if not has_tenant:
            if name not in GLOBAL_TABLES:
                problems.append(f"{name}: has no tenant_id and is not on the global list")
            continue
        if not rls:
            problems.append(f"{name}: row-level security is not enabled")
        if not force:
            problems.append(f"{name}: row-level security is not forced")
        if oid not in policed:
            problems.append(f"{name}: no policy on app.tenant_id for reads and writes")
        own = [(primary, cols, idx) for relid, primary, cols, idx in uniques if relid == oid]
        if not any(cols == ["tenant_id", "id"] for _, cols, _ in own):
            problems.append(f"{name}: no unique index on (tenant_id, id)")
        problems.extend(
            f"{name}: unique index {idx} does not lead with tenant_id"
            for primary, cols, idx in own
            if not primary and cols[0] != "tenant_id"
        )
        own_fks = [(ref, cols, refcols) for relid, ref, cols, refcols in fks if relid == oid]
        composite = {(ref, cols[1]) for ref, cols, refcols in own_fks
                     if len(cols) == 2 and cols[0] == "tenant_id"
                     and refcols == ["tenant_id", "id"]}
        for ref, cols, _ in own_fks:
            if ref in tenant_oids and len(cols) == 1 and (ref, cols[0]) not in composite:
                problems.append(
                    f"{name}.{cols[0]}: foreign key to tenant table {tables[ref][0]} "
                    "lacks the composite (tenant_id, …) constraint"
                )
    return problems
