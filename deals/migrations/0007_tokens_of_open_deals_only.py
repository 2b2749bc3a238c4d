"""The conflict check's word index holds open registrations only: closed deals never
conflict, and their words made every lookup longer."""

from django.db import migrations

from prm.db_ops import run_in_each_tenant

DELETE_CLOSED = """
DELETE FROM deals_dealnametoken x USING deals_deal d
WHERE d.tenant_id = x.tenant_id AND d.id = x.deal_id
  AND d.status NOT IN ('submitted', 'approved')
"""
RESTORE_CLOSED = """
INSERT INTO deals_dealnametoken (tenant_id, deal_id, token, name_length, words_length)
SELECT DISTINCT d.tenant_id, d.id, t, length(d.customer_name_normalised),
       length(array_to_string(d.customer_name_tokens, ' '))
FROM deals_deal d, unnest(d.customer_name_tokens) AS t
WHERE d.status NOT IN ('submitted', 'approved')
"""


def delete_closed(apps, schema_editor):
    run_in_each_tenant(schema_editor, DELETE_CLOSED)


def restore_closed(apps, schema_editor):
    run_in_each_tenant(schema_editor, RESTORE_CLOSED)


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0006_token_name_lengths"),
    ]

    operations = [
        migrations.RunPython(delete_closed, restore_closed),
    ]
