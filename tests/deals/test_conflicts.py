"""Conflict detection at the door: exact conflicts refused, possible ones flagged."""

from __future__ import annotations

import pytest

from deals.models import CustomerAccount, Deal, DealConflict
from deals.services import customer_accounts_replace
from prm.errors import DomainError
from prm.names import normalise_company_name
from prm.tenancy import tenant_scope


@pytest.mark.parametrize(("a", "b"), [
    ("Initrode GmbH", "initrode"),
    ("Müller & Söhne AG", "Muller and Sohne"),
    ("The Initrode Company", "Initrode Co."),
    ("Initrode, Inc.", "INITRODE LLC"),
    ("Initrode S.A.", "Initrode B.V."),
    ("Initrode Pty Ltd", "Initrode plc"),
])
def test_name_variants_normalise_alike(a, b):
    assert normalise_company_name(a) == normalise_company_name(b)


def test_exact_conflict_is_refused_for_any_partner(program):
    program.submit(customer_domain="initrode.example")
    with pytest.raises(DomainError) as error:
        program.submit(member=program.cast.partner_user, customer_name="Initrode AG",
                       customer_domain="https://www.INITRODE.example/")
    assert error.value.status_code == 409
    assert "already exists" in error.value.message
    with tenant_scope(program.cast.acme):
        assert Deal.objects.count() == 1


def test_same_domain_other_product_is_flagged_not_refused(program):
    first, _ = program.submit()
    second, matches = program.submit(member=program.cast.partner_user, product=program.security)
    assert [(m.reason, m.deal.pk) for m in matches] == [("same_domain", first.pk)]
    assert second.has_conflict
    assert second.status == "submitted"


@pytest.mark.parametrize("variant", ["Initrode Ltd", "THE INITRODE COMPANY", "Initröde GmbH",
                                     "Initrode Group GmbH"])
def test_similar_name_on_another_domain_is_flagged(program, variant):
    first, _ = program.submit(customer_name="Initrode GmbH", customer_domain="initrode.example")
    _second, matches = program.submit(member=program.cast.partner_user, customer_name=variant,
                                      customer_domain="initrode-group.example")
    assert [m.deal.pk for m in matches] == [first.pk]
    assert matches[0].reason == "similar_name"
    assert matches[0].score >= 85


def test_unrelated_names_are_not_flagged(program):
    program.submit(customer_name="Initrode GmbH", customer_domain="initrode.example")
    _deal, matches = program.submit(member=program.cast.partner_user,
                                    customer_name="Umbrella Corporation",
                                    customer_domain="umbrella.example")
    assert matches == []


def test_direct_customer_is_a_conflict(program):
    with tenant_scope(program.cast.acme):
        customer_accounts_replace(actor=None, rows=[("Vandelay Industries", "vandelay.example")])
        assert CustomerAccount.objects.count() == 1
    deal, matches = program.submit(customer_name="Vandelay Industries Inc",
                                   customer_domain="www.vandelay.example")
    assert [m.reason for m in matches] == ["direct_customer"]
    with tenant_scope(program.cast.acme):
        assert DealConflict.objects.get(deal=deal).customer_account.name == "Vandelay Industries"


def test_closed_registrations_do_not_block(program):
    from deals.services import deal_withdraw

    first, _ = program.submit()
    with tenant_scope(program.cast.acme):
        deal_withdraw(member=program.cast.partner_admin, deal=first)
    second, matches = program.submit(member=program.cast.partner_user)
    assert matches == []
    assert second.status == "submitted"


def test_a_partner_never_learns_who_registered_first(program):
    program.submit()  # Northwind registers first.
    client = program.cast.client(program.cast.partner_user)  # Contoso tries the same.
    refused = client.post("/api/v1/deals/", {
        "customer_name": "Initrode", "customer_domain": "initrode.example",
        "customer_country": "DE", "product": program.cloud.pk, "amount": "1000",
        "currency": "EUR", "expected_close_date": "2027-03-01"},
        content_type="application/json")
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "northwind" not in text.lower()
    flagged = client.post("/api/v1/deals/", {
        "customer_name": "Initrode", "customer_domain": "initrode.example",
        "customer_country": "DE", "product": program.security.pk, "amount": "1000",
        "currency": "EUR", "expected_close_date": "2027-03-01"},
        content_type="application/json")
    assert flagged.status_code == 201
    body = flagged.json()
    assert body["conflicts"] == [{"reason": "registration_may_exist"}]
    assert "Northwind" not in flagged.content.decode()
    manager_view = program.cast.client(program.cast.manager).get(
        f"/api/v1/deals/{body['id']}/").json()
    assert manager_view["conflicts"][0]["other_partner"] == "Northwind Traders"


def test_direct_customer_with_a_similar_name_on_another_domain_is_a_conflict(program):
    with tenant_scope(program.cast.acme):
        customer_accounts_replace(actor=None, rows=[("Vandelay Industries", "vandelay.example"),
                                                    ("Umbrella Corporation", "umbrella.example")])
    _deal, matches = program.submit(customer_name="Vandelay Industries GmbH",
                                    customer_domain="vandelay-europe.example")
    assert [(m.reason, m.account.name) for m in matches] == [
        ("direct_customer", "Vandelay Industries")]


def test_an_edited_name_is_found_under_its_new_words(program):
    from deals.services import deal_update

    first, _ = program.submit(customer_name="Initrode GmbH", customer_domain="initrode.example")
    with tenant_scope(program.cast.acme):
        deal_update(member=program.cast.partner_admin, deal=first,
                    customer_name="Vandelay Industries")
    _second, old_name = program.submit(member=program.cast.partner_user,
                                       customer_name="Initrode AG",
                                       customer_domain="initrode-ag.example")
    _third, new_name = program.submit(member=program.cast.partner_user,
                                      customer_name="Vandelay Industries Ltd",
                                      customer_domain="vandelay.example")
    assert [m.deal.pk for m in new_name] == [first.pk]
    assert first.pk not in [m.deal.pk for m in old_name if m.deal]


def test_a_word_on_many_registrations_finds_no_candidates_by_itself(program, monkeypatch):
    from deals import conflicts

    monkeypatch.setattr(conflicts, "COMMON_TOKEN", 3)
    for n in range(3):
        program.submit(member=program.cast.partner_user, customer_name=f"Acme Widgets {n}x",
                       customer_domain=f"widgets{n}.example")
    # "widgets" is now common; the exact normalised name is still found by its own index.
    _deal, matches = program.submit(customer_name="Acme Widgets 1x",
                                    customer_domain="widgets-one.example")
    assert [m.reason for m in matches] == ["similar_name"]
    _deal, matches = program.submit(customer_name="Widgets",
                                    customer_domain="just-widgets.example")
    assert matches == []


def test_candidates_come_from_indexes_under_row_level_security(program):
    """As the app role, with sequential scans priced out, the candidate queries must still
    find an index: an operator that is not leakproof (such as the arrays' ``&&``) would
    leave PostgreSQL no choice but to read every deal of the tenant."""
    from django.db import connection

    from deals import conflicts

    program.submit()
    with tenant_scope(program.cast.acme), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + conflicts.CANDIDATES_SQL, conflicts.candidate_params(
            domain="initrode.example", name_normalised="initrode", tokens=["initrode"]))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan


def test_the_prepared_statement_keeps_to_the_indexes_with_a_generic_plan(program):
    """The check runs as a prepared statement; once PostgreSQL switches it to a generic
    plan (one for any parameters), that plan must find its rows through indexes too."""
    import re

    from django.db import connection

    from deals import conflicts

    program.submit()
    args = {"domain": "initrode.example", "name_normalised": "initrode",
            "tokens": ["initrode"]}
    with tenant_scope(program.cast.acme), connection.cursor() as cursor:
        conflicts._candidates(**args)   # prepares the statement on this connection
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%deal_hits AS MATERIALIZED%"])
        (name,) = cursor.fetchone()
        params = conflicts.candidate_params(**args)
        order = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", conflicts.CANDIDATES_SQL)))
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"EXPLAIN EXECUTE {connection.ops.quote_name(name)}("
                       + ", ".join(["%s"] * len(order)) + ")", [params[k] for k in order])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "deal_name_token_once" in plan, plan


def test_a_new_direct_customer_list_keeps_why_a_deal_was_flagged(program):
    with tenant_scope(program.cast.acme):
        customer_accounts_replace(actor=None, rows=[("Vandelay Industries", "vandelay.example")])
    deal, _ = program.submit(customer_name="Vandelay Industries",
                             customer_domain="vandelay.example")
    with tenant_scope(program.cast.acme):
        customer_accounts_replace(actor=None, rows=[("Umbrella Corporation", "umbrella.example")])
        (conflict,) = DealConflict.objects.filter(deal=deal)
        assert conflict.reason == "direct_customer"
        assert conflict.customer_account is None  # shown as "a record since removed"
        assert Deal.objects.get(pk=deal.pk).has_conflict


def test_the_length_bound_drops_only_names_that_cannot_match(program, monkeypatch):
    """Candidates too long or too short to reach the threshold stay in the database, and
    the check finds exactly what it finds when every candidate is scored in Python."""
    from deals import conflicts
    from prm.names import name_tokens

    stored = ["Initrode", "Initrode Labs", "Initrode Laboratories Worldwide",
              "Initrode Greater Northern Laboratories", "Labs Initrode", "Laboratories Initrode",
              "Initrode Hyperscale Quantum Analytics Laboratories"]
    for n, name in enumerate(stored):
        program.submit(member=program.cast.partner_user, customer_name=name,
                       customer_domain=f"stored{n}.example")

    def check(query: str) -> tuple[int, set[int]]:
        normalised = normalise_company_name(query)
        args = {"domain": "none.example", "name_normalised": normalised,
                "tokens": name_tokens(normalised)}
        with tenant_scope(program.cast.acme):
            rows = conflicts._candidates(**args)
            found = {m.deal.pk for m in conflicts.find_conflicts(**args,
                                                                  product_id=program.cloud.pk)}
        return len(rows), found

    queries = ["Initrode", "Initrode Lab", "Initrode Laboratories", "Laboratories Initrode"]
    bounded = {query: check(query) for query in queries}
    monkeypatch.setattr(conflicts, "_CUTOFF", 0)  # every candidate leaves the database
    unbounded = {query: check(query) for query in queries}
    for query in queries:
        assert bounded[query][1] == unbounded[query][1], query
        assert bounded[query][1], f"{query}: found nothing"
        assert bounded[query][0] < unbounded[query][0] == len(stored), query


def test_migration_backfills_the_lengths_of_existing_word_rows(program):
    """Rows written before the lengths existed get them from their deal or customer."""
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from deals.models import CustomerAccountToken, DealNameToken
    from prm.names import name_lengths

    migration = importlib.import_module("deals.migrations.0006_token_name_lengths")
    deal, _ = program.submit(customer_name="Initrode Laboratories GmbH")
    with tenant_scope(program.cast.acme):
        customer_accounts_replace(actor=None, rows=[("Vandelay Industries", "vandelay.example")])
        DealNameToken.objects.update(name_length=0, words_length=0)
        CustomerAccountToken.objects.update(name_length=0, words_length=0)
    migration.backfill(None, SimpleNamespace(connection=connection))
    with tenant_scope(program.cast.acme):
        expected = name_lengths(deal.customer_name_normalised, deal.customer_name_tokens)
        assert set(DealNameToken.objects.values_list("name_length", "words_length")) == {
            (expected["name_length"], expected["words_length"])}
        account = CustomerAccount.objects.get()
        expected = name_lengths(account.name_normalised, account.name_tokens)
        assert set(CustomerAccountToken.objects.values_list("name_length", "words_length")) == {
            (expected["name_length"], expected["words_length"])}


@pytest.mark.parametrize("close", ["withdraw", "reject", "won", "lost"])
def test_a_closed_registration_leaves_the_word_index(program, close):
    from deals import services
    from deals.models import DealNameToken

    deal, _ = program.submit(customer_name="Initrode Laboratories GmbH")
    cast = program.cast
    with tenant_scope(cast.acme):
        assert DealNameToken.objects.filter(deal=deal).count() == 3  # two words, one pair
        if close == "withdraw":
            services.deal_withdraw(member=cast.partner_admin, deal=deal)
        elif close == "reject":
            services.deal_reject(member=cast.manager, deal=deal, note="Not ours.")
        else:
            services.deal_approve(member=cast.manager, deal=deal)
            assert DealNameToken.objects.filter(deal=deal).count() == 3
            closing = services.deal_close_won if close == "won" else services.deal_close_lost
            closing(member=cast.partner_admin, deal=deal)
        assert not DealNameToken.objects.filter(deal=deal).exists()
    _again, matches = program.submit(member=cast.partner_user,
                                     customer_name="Initrode Laboratories AG",
                                     customer_domain="initrode-labs.example")
    assert matches == []


def test_migration_drops_the_words_of_closed_registrations(program):
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from deals.models import DealNameToken

    migration = importlib.import_module("deals.migrations.0007_tokens_of_open_deals_only")
    open_deal, _ = program.submit(customer_name="Initrode Laboratories GmbH")
    closed, _ = program.submit(customer_name="Vandelay Industries",
                               customer_domain="vandelay.example")
    with tenant_scope(program.cast.acme):
        Deal.objects.filter(pk=closed.pk).update(status="lost")  # as before the clean-up
    migration.delete_closed(None, SimpleNamespace(connection=connection))
    with tenant_scope(program.cast.acme):
        assert set(DealNameToken.objects.values_list("deal_id", flat=True)) == {open_deal.pk}
    migration.restore_closed(None, SimpleNamespace(connection=connection))
    with tenant_scope(program.cast.acme):
        assert set(DealNameToken.objects.values_list("deal_id", flat=True)) == {
            open_deal.pk, closed.pk}


def test_index_terms_are_the_words_and_their_pairs():
    from prm.names import index_terms

    assert index_terms(["labs", "initrode"]) == ["initrode", "labs", "initrode labs"]
    assert index_terms(["initrode"]) == ["initrode"]
    many = index_terms([f"w{n}" for n in range(8)])
    assert len(many) == 8 + 15  # pairs of the first six words only
    assert index_terms(["x" * 101, "initrode"]) == ["initrode"]  # too long for the column


def test_a_near_copy_made_of_common_words_is_found_by_its_pair(program, monkeypatch):
    """Each word alone is on too many registrations to say anything; the pair of them
    is not, so the copy is still found (and is not, without the pairs)."""
    from deals import conflicts

    monkeypatch.setattr(conflicts, "COMMON_TOKEN", 3)
    for n, name in enumerate(["Northern Ventures", "Northern Trading", "Northern Mills",
                              "Coastal Freight", "Atlantic Freight", "Polar Freight"]):
        program.submit(member=program.cast.partner_user, customer_name=name,
                       customer_domain=f"common{n}.example")
    first, _ = program.submit(customer_name="Northern Freight", customer_domain="nf.example")

    def copy_found(domain: str) -> bool:
        _copy, matches = program.submit(member=program.cast.partner_user,
                                        customer_name="Northern Freight NZ",
                                        customer_domain=domain)
        return first.pk in {m.deal.pk for m in matches if m.deal}

    assert copy_found("nf-nz.example")
    monkeypatch.setattr(conflicts, "index_terms", lambda tokens: sorted(set(tokens)))
    assert not copy_found("nf-nz2.example")


def test_migration_adds_the_pairs_of_existing_rows(program):
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from deals.models import CustomerAccountToken, DealNameToken

    migration = importlib.import_module("deals.migrations.0008_word_pairs")
    program.submit(customer_name="Initrode Quantum Laboratories")
    with tenant_scope(program.cast.acme):
        customer_accounts_replace(actor=None, rows=[("Vandelay Import Export", "v.example")])
        written = (set(DealNameToken.objects.values_list("token", flat=True)),
                   set(CustomerAccountToken.objects.values_list("token", flat=True)))
    migration.remove_pairs(None, SimpleNamespace(connection=connection))
    with tenant_scope(program.cast.acme):
        assert set(DealNameToken.objects.values_list("token", flat=True)) == {
            "initrode", "quantum", "laboratories"}
    migration.add_pairs(None, SimpleNamespace(connection=connection))
    with tenant_scope(program.cast.acme):
        assert (set(DealNameToken.objects.values_list("token", flat=True)),
                set(CustomerAccountToken.objects.values_list("token", flat=True))) == written
        assert "initrode laboratories" in written[0]
