"""Fill the conflict check's word tables from the deals and direct customers already there.

A migration of its own: Django adds the new tables' foreign keys when the creating
migration ends, and PostgreSQL refuses that ALTER TABLE while the rows inserted here
still have deferred constraint checks pending.
"""

from django.db import migrations

from prm.db_ops import run_in_each_tenant

BACKFILL = """
INSERT INTO deals_dealnametoken (tenant_id, deal_id, token)
SELECT DISTINCT d.tenant_id, d.id, t FROM deals_deal d, unnest(d.customer_name_tokens) AS t;
INSERT INTO deals_customeraccounttoken (tenant_id, account_id, token)
SELECT DISTINCT a.tenant_id, a.id, t FROM deals_customeraccount a, unnest(a.name_tokens) AS t;
"""


def backfill(apps, schema_editor):
    run_in_each_tenant(schema_editor, BACKFILL)


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0004_conflict_keeps_removed_customer"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
