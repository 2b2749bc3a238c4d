"""The deal list ("My deals" / "Pipeline"): filters, sort, pages, chart, CSV export, demo."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Deal, DealStage, TimelineEntry
from deals.services import deal_approve, exchange_rate_set
from prm.models import Event, Membership, Tenant
from prm.tenancy import tenant_scope
from tests.factories import MembershipFactory, PartnerFactory


def _names(response) -> list[str]:
    return [deal.customer_name for deal in response.context["page"].object_list]


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def deals(program):
    """Four deals that differ in every way the list filters by."""
    cast, today = program.cast, timezone.localdate()
    with tenant_scope(cast.acme):
        exchange_rate_set(actor=None, currency="USD", rate=Decimal("0.5"),
                          valid_from=today - timedelta(days=10))
    alpha, _ = program.submit(customer_name="Alpha Foods GmbH", customer_domain="alpha.example",
                              amount=Decimal("10000"), customer_country="DE",
                              expected_close_date=today + timedelta(days=10))
    beta, _ = program.submit(cast.partner_user, customer_name="Beta Motors Inc",
                             customer_domain="beta.example", product=program.security,
                             amount=Decimal("80000"), currency="USD", customer_country="US",
                             stage=program.stages[2],
                             expected_close_date=today + timedelta(days=90))
    gamma, _ = program.submit(customer_name="Gamma Bank AG", customer_domain="gamma.example",
                              amount=Decimal("30000"), customer_country="FR",
                              stage=program.stages[1],
                              expected_close_date=today + timedelta(days=40))
    # Same domain as alpha, another product: a possible conflict.
    delta, _ = program.submit(cast.partner_user, customer_name="Alpha Foods",
                              customer_domain="www.alpha.example", product=program.security,
                              amount=Decimal("55000"), customer_country="DE",
                              expected_close_date=today + timedelta(days=60))
    with tenant_scope(cast.acme):
        gamma = deal_approve(member=cast.manager, deal=gamma)
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta}


class TestList:
    def test_the_vendor_sees_every_deal_newest_first(self, program, deals):
        response = program.cast.client(program.cast.manager).get("/deals/")
        assert response.status_code == 200
        assert _names(response) == ["Alpha Foods", "Gamma Bank AG", "Beta Motors Inc",
                                    "Alpha Foods GmbH"]
        body = response.content.decode()
        assert "<h1>Pipeline</h1>" in body
        assert f'href="/deals/{deals["beta"].pk}/"' in body
        assert "Northwind Traders" in body
        assert "Contoso Ltd" in body

    def test_partner_people_see_only_their_companys_deals(self, program, deals):
        cast = program.cast
        for member in (cast.partner_admin, program.northwind_user):
            response = cast.client(member).get("/deals/")
            assert response.status_code == 200
            assert sorted(_names(response)) == ["Alpha Foods GmbH", "Gamma Bank AG"]
            body = response.content.decode()
            assert "<h1>My deals</h1>" in body
            assert "Beta Motors" not in body
            assert "Contoso Ltd" not in body
            assert "partner" not in response.context["form"].fields
        # A partner filter in the address changes nothing for them.
        response = cast.client(cast.partner_admin).get("/deals/", {"partner": cast.contoso.pk})
        assert sorted(_names(response)) == ["Alpha Foods GmbH", "Gamma Bank AG"]

    @pytest.mark.parametrize(("filters", "expected"), [
        ({"q": "alpha"}, ["Alpha Foods", "Alpha Foods GmbH"]),
        ({"q": "BETA.EX"}, ["Beta Motors Inc"]),
        ({"partner": "contoso"}, ["Alpha Foods", "Beta Motors Inc"]),
        ({"stage": 2}, ["Beta Motors Inc"]),
        ({"status": "approved"}, ["Gamma Bank AG"]),
        ({"product": "security"}, ["Alpha Foods", "Beta Motors Inc"]),
        ({"country": "FR"}, ["Gamma Bank AG"]),
        ({"close_from": 30, "close_to": 70}, ["Alpha Foods", "Gamma Bank AG"]),
        # Amounts are compared in the reporting currency: Beta's 80,000 USD are 40,000 EUR.
        ({"amount_min": "35000", "amount_max": "50000"}, ["Beta Motors Inc"]),
        ({"conflicts_only": "on"}, ["Alpha Foods"]),
    ])
    def test_filters(self, program, deals, filters, expected):
        cast, today = program.cast, timezone.localdate()
        query = dict(filters)
        if "partner" in query:
            query["partner"] = cast.contoso.pk
        if "stage" in query:
            query["stage"] = program.stages[query["stage"]].pk
        if "product" in query:
            query["product"] = program.security.pk
        for key in ("close_from", "close_to"):
            if key in query:
                query[key] = (today + timedelta(days=query[key])).isoformat()
        response = cast.client(cast.manager).get("/deals/", query)
        assert sorted(_names(response)) == sorted(expected)

    def test_an_invalid_filter_is_shown_and_ignored(self, program, deals):
        response = program.cast.client(program.cast.manager).get(
            "/deals/", {"amount_min": "lots", "status": "approved"})
        assert response.status_code == 200
        assert _names(response) == ["Gamma Bank AG"]
        assert "amount_min" in response.context["form"].errors

    @pytest.mark.parametrize(("sort", "expected"), [
        ("amount", ["Alpha Foods GmbH", "Gamma Bank AG", "Beta Motors Inc", "Alpha Foods"]),
        ("-amount", ["Alpha Foods", "Beta Motors Inc", "Gamma Bank AG", "Alpha Foods GmbH"]),
        ("close", ["Alpha Foods GmbH", "Gamma Bank AG", "Alpha Foods", "Beta Motors Inc"]),
        ("registered", ["Alpha Foods GmbH", "Beta Motors Inc", "Gamma Bank AG", "Alpha Foods"]),
    ])
    def test_sorts(self, program, deals, sort, expected):
        response = program.cast.client(program.cast.manager).get("/deals/", {"sort": sort})
        assert _names(response) == expected

    def test_pages_of_25_keep_the_filters(self, program):
        for n in range(27):
            program.submit(customer_name=f"Customer {n:02d}", customer_domain=f"c{n}.example")
        client = program.cast.client(program.cast.manager)
        first = client.get("/deals/", {"sort": "registered"})
        assert len(first.context["page"].object_list) == 25
        assert 'href="/deals/?sort=registered&amp;page=2"' in first.content.decode()
        second = client.get("/deals/", {"sort": "registered", "page": 2})
        assert _names(second) == ["Customer 25", "Customer 26"]

    def test_htmx_gets_only_the_rows(self, program, deals):
        response = program.cast.client(program.cast.manager).get(
            "/deals/", {"status": "approved"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "<html" not in body
        assert "<form" not in body
        assert "Gamma Bank AG" in body
        assert "Beta Motors" not in body
        assert response["Vary"].count("HX-Request") == 1

    def test_status_badges_and_days_until_protection_ends(self, program, deals):
        body = program.cast.client(program.cast.manager).get("/deals/").content.decode()
        assert 'class="badge badge-success">Approved</span>' in body
        assert 'class="badge badge-role">Submitted</span>' in body
        assert "Possible conflict" in body
        assert "90 days left" in body

    def test_protection_ending_soon_is_highlighted(self, program, deals):
        with tenant_scope(program.cast.acme):
            Deal.objects.filter(pk=deals["gamma"].pk).update(
                protection_expires_at=timezone.now() + timedelta(days=3, hours=1))
        body = program.cast.client(program.cast.manager).get("/deals/").content.decode()
        assert '<span class="protection-soon">3 days left</span>' in body

    def test_chart_of_amounts_by_stage_with_a_text_alternative(self, program, deals):
        response = program.cast.client(program.cast.manager).get("/deals/")
        bars = {bar["stage"].name: (bar["total"], bar["count"])
                for bar in response.context["chart"]["bars"]}
        assert bars == {"Qualify": (Decimal("65000"), 2), "Discover": (Decimal("30000"), 1),
                        "Propose": (Decimal("40000"), 1), "Negotiate": (Decimal(0), 0)}
        body = response.content.decode()
        assert '<svg role="img"' in body
        assert "Amount by stage, in EUR: Qualify 65,000 (2 deals), Discover 30,000 (1 deal)" \
            in body
        assert "The numbers as a table" in body
        assert "<script" not in body.split("</head>")[1]

    def test_chart_follows_the_filters(self, program, deals):
        response = program.cast.client(program.cast.manager).get(
            "/deals/", {"product": program.security.pk})
        totals = {bar["stage"].name: bar["total"] for bar in response.context["chart"]["bars"]}
        assert totals["Qualify"] == Decimal("55000")
        assert totals["Propose"] == Decimal("40000")
        assert response.context["chart"]["grand_total"] == Decimal("95000")

    def test_empty_states(self, program):
        cast = program.cast
        assert "No deals yet" in cast.client(cast.manager).get("/deals/").content.decode()
        program.submit()
        body = cast.client(cast.manager).get("/deals/", {"q": "nothing"}).content.decode()
        assert "No deal matches these filters" in body

    def test_anonymous_is_sent_to_sign_in(self, program):
        response = program.cast.client().get("/deals/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestExport:
    def test_exports_the_filtered_list(self, program, deals):
        response = program.cast.client(program.cast.manager).get(
            "/deals/export/", {"product": program.security.pk, "sort": "amount"})
        assert response.status_code == 200
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="deals-acme-' in response["Content-Disposition"]
        rows = _rows(response)
        assert [(r["customer"], r["partner"], r["amount"], r["currency"],
                 r["reporting_amount"], r["possible_conflict"]) for r in rows] == [
            ("Beta Motors Inc", "Contoso Ltd", "80000.00", "USD", "40000.00", "False"),
            ("Alpha Foods", "Contoso Ltd", "55000.00", "EUR", "55000.00", "True"),
        ]

    def test_partner_people_export_only_their_own(self, program, deals):
        rows = _rows(program.cast.client(program.cast.partner_admin).get("/deals/export/"))
        assert sorted(r["customer"] for r in rows) == ["Alpha Foods GmbH", "Gamma Bank AG"]
        assert {r["partner"] for r in rows} == {"Northwind Traders"}
        approved = next(r for r in rows if r["customer"] == "Gamma Bank AG")
        assert approved["status"] == "approved"
        assert approved["protection_expires_at"]

    def test_cells_that_would_run_as_formulas_are_escaped(self, program):
        program.submit(customer_name="=HYPERLINK(\"http://evil\")", contact_name="+49 30 1234",
                       contact_title="@admin", contact_email="-x@initrode.example")
        rows = _rows(program.cast.client(program.cast.manager).get("/deals/export/"))
        assert rows[0]["customer"] == "'=HYPERLINK(\"http://evil\")"
        assert rows[0]["contact_name"] == "'+49 30 1234"
        assert rows[0]["contact_title"] == "'@admin"
        assert rows[0]["contact_email"] == "'-x@initrode.example"
        assert rows[0]["product_line"] == "Cloud Suite"

    def test_anonymous_gets_no_export(self, program, deals):
        assert program.cast.client().get("/deals/export/").status_code == 302


def test_query_count_does_not_grow_with_deals(program):
    cast = program.cast
    program.submit()
    clients = {"vendor": cast.client(cast.manager), "partner": cast.client(cast.partner_admin)}
    few = {}
    for who, client in clients.items():
        client.get("/deals/")  # warm-up: content types and the like
        with CaptureQueriesContext(connection) as few[who]:
            client.get("/deals/")
    partners = [cast.northwind, cast.contoso, *(PartnerFactory(tenant=cast.acme)
                                                for _ in range(3))]
    for n in range(40):
        partner = partners[n % len(partners)]
        member = cast.partner_admin if partner == cast.northwind else MembershipFactory(
            tenant=cast.acme, role="partner_user", partner=partner)
        deal, _ = program.submit(member, customer_name=f"Customer {n}",
                                 customer_domain=f"c{n}.example",
                                 product=[program.cloud, program.security][n % 2],
                                 stage=program.stages[n % 4])
        if n % 3 == 0:
            with tenant_scope(cast.acme):
                deal_approve(member=cast.manager, deal=deal)
    many = {}
    for who, client in clients.items():
        with CaptureQueriesContext(connection) as many[who]:
            response = client.get("/deals/")
        assert len(response.context["page"].object_list) == 25 if who == "vendor" else 9
    # tenant, session, user, membership; the stages; the filter form's partners (vendor
    # only) and product lines; the count, the page of deals (partner, product, stage and
    # registrant joined) and the chart's sums per stage; the partner page's heading reads
    # the member's company. Nested under the test's transaction, the tenant scope adds a
    # savepoint, its release, and reading, setting and restoring the tenant setting.
    assert len(few["vendor"]) == len(many["vendor"]) == 15, [
        q["sql"][:70] for q in many["vendor"].captured_queries]
    assert len(few["partner"]) == len(many["partner"]) == 15, [
        q["sql"][:70] for q in many["partner"].captured_queries]


def test_demo_seeds_deals_once_and_partner_people_see_theirs(db):
    call_command("seed_demo", stdout=io.StringIO())
    acme = Tenant.objects.get(slug="acme")
    with tenant_scope(acme):
        counts = (Deal.objects.count(), DealStage.objects.count(), TimelineEntry.objects.count(),
                  Event.objects.count())
        statuses = set(Deal.objects.values_list("status", flat=True))
        conflicted = Deal.objects.filter(has_conflict=True, status="submitted").count()
        padmin = Membership.objects.get(user__email="padmin@northwind.test")
        own = Deal.objects.filter(partner=padmin.partner).count()
    assert counts[0] >= 250
    assert counts[1] == 6  # five of the deals demo; the playbook demo adds "Onboard"
    assert counts[2] > 50
    assert statuses == {"submitted", "approved", "rejected", "won", "lost", "expired",
                        "withdrawn"}
    assert conflicted >= 6
    assert own >= 20

    call_command("seed_demo", stdout=io.StringIO())
    with tenant_scope(acme):
        assert (Deal.objects.count(), DealStage.objects.count(), TimelineEntry.objects.count(),
                Event.objects.count()) == counts

    from tests.conftest import tenant_client
    response = tenant_client(acme, padmin.user).get("/deals/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == own
