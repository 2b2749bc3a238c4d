"""The conflict check's word rows carry the lengths of the name they belong to, in the
index, so names that cannot be similar are dropped before any deal is read."""

from django.db import migrations, models

from prm.db_ops import run_in_each_tenant

BACKFILL = """
UPDATE deals_dealnametoken x
SET name_length = length(d.customer_name_normalised),
    words_length = length(array_to_string(d.customer_name_tokens, ' '))
FROM deals_deal d WHERE d.tenant_id = x.tenant_id AND d.id = x.deal_id;
UPDATE deals_customeraccounttoken x
SET name_length = length(a.name_normalised),
    words_length = length(array_to_string(a.name_tokens, ' '))
FROM deals_customeraccount a WHERE a.tenant_id = x.tenant_id AND a.id = x.account_id;
"""


def backfill(apps, schema_editor):
    run_in_each_tenant(schema_editor, BACKFILL)


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0005_backfill_name_tokens'),
        ('prm', '0004_tenant_language_check_blocks_and_more'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='customeraccounttoken',
            name='customer_account_token_once',
        ),
        migrations.RemoveConstraint(
            model_name='dealnametoken',
            name='deal_name_token_once',
        ),
        migrations.AddField(
            model_name='customeraccounttoken',
            name='name_length',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='customeraccounttoken',
            name='words_length',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dealnametoken',
            name='name_length',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dealnametoken',
            name='words_length',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name='customeraccounttoken',
            constraint=models.UniqueConstraint(fields=('tenant', 'token', 'account'), include=('name_length', 'words_length'), name='customer_account_token_once'),
        ),
        migrations.AddConstraint(
            model_name='dealnametoken',
            constraint=models.UniqueConstraint(fields=('tenant', 'token', 'deal'), include=('name_length', 'words_length'), name='deal_name_token_once'),
        ),
        # Last: PostgreSQL refuses an ALTER TABLE after row changes in the same transaction.
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
