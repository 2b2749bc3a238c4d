"""The database itself refuses two open registrations of one customer and product."""

from __future__ import annotations

import threading
from datetime import date

import psycopg
import pytest
from django.db import connection

from tests.isolation.test_database_walls import _conninfo

INSERT = """
INSERT INTO deals_deal (tenant_id, partner_id, registered_by_id, customer_name,
    customer_name_normalised, customer_name_tokens, customer_domain, customer_country,
    contact_name, contact_email, contact_title, product_id, amount, currency,
    expected_close_date, stage_id, status, status_reason, notes, registered_at,
    approval_rule, extension_reason, has_conflict, version, updated_at)
VALUES (%(tenant)s, %(partner)s, %(member)s, 'Initrode', 'initrode', '{initrode}',
    'initrode.example', 'DE', '', '', '', %(product)s, 1000, 'EUR', %(close)s, %(stage)s,
    'submitted', '', '', now(), '', '', false, 1, now())
"""


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_cannot_both_be_open(cast, program):
    # Committed data (a transactional test), two real connections as the app role,
    # both past the application's checks at once: only the partial unique index decides.
    params = [
        {"tenant": cast.acme.pk, "partner": member.partner_id, "member": member.pk,
         "product": program.cloud.pk, "close": date(2027, 1, 31), "stage": program.stages[0].pk}
        for member in (cast.partner_admin, cast.partner_user)
    ]
    connection.close()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(values):
        with psycopg.connect(_conninfo()) as conn, conn.transaction():
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(values["tenant"])])
            barrier.wait(timeout=10)
            try:
                with conn.transaction():
                    conn.execute(INSERT, values)
                outcomes.append("inserted")
            except psycopg.errors.UniqueViolation:
                outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(values,)) for values in params]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["inserted", "refused"]
