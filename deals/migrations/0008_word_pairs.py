"""The conflict check's word tables also hold each pair of a name's distinctive words
(``prm.names.index_terms``): a pair is rare even where both of its words are common."""

from django.db import migrations

from prm.db_ops import run_in_each_tenant

# The pairs of the first six words of each sorted word array, as index_terms makes them.
PAIRS = """
SELECT w1 || ' ' || w2 AS term FROM unnest({tokens}[1:6]) AS w1, unnest({tokens}[1:6]) AS w2
WHERE w1 < w2 COLLATE "C" AND length(w1 || ' ' || w2) <= 100
"""
ADD_PAIRS = f"""
INSERT INTO deals_dealnametoken (tenant_id, deal_id, token, name_length, words_length)
SELECT d.tenant_id, d.id, p.term, length(d.customer_name_normalised),
       length(array_to_string(d.customer_name_tokens, ' '))
FROM deals_deal d CROSS JOIN LATERAL ({PAIRS.format(tokens="d.customer_name_tokens")}) AS p
WHERE d.status IN ('submitted', 'approved')
ON CONFLICT DO NOTHING;
INSERT INTO deals_customeraccounttoken (tenant_id, account_id, token, name_length,
                                        words_length)
SELECT a.tenant_id, a.id, p.term, length(a.name_normalised),
       length(array_to_string(a.name_tokens, ' '))
FROM deals_customeraccount a CROSS JOIN LATERAL ({PAIRS.format(tokens="a.name_tokens")}) AS p
ON CONFLICT DO NOTHING;
"""
REMOVE_PAIRS = """
DELETE FROM deals_dealnametoken WHERE position(' ' in token) > 0;
DELETE FROM deals_customeraccounttoken WHERE position(' ' in token) > 0;
"""


def add_pairs(apps, schema_editor):
    run_in_each_tenant(schema_editor, ADD_PAIRS)


def remove_pairs(apps, schema_editor):
    run_in_each_tenant(schema_editor, REMOVE_PAIRS)


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0007_tokens_of_open_deals_only"),
    ]

    operations = [
        migrations.RunPython(add_pairs, remove_pairs),
    ]
