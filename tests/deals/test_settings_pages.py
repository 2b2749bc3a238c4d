"""Deal settings: product lines, stages, exchange rates, auto-approval rules and the
direct-customer list. Each form saves with an event, or shows errors and saves nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import AutoApprovalRule, CustomerAccount, DealStage, ExchangeRate, ProductLine
from deals.services import customer_accounts_replace
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import TierFactory


@pytest.fixture
def admin(mfa_admin, program):
    """The tenant admin's client (TOTP set up, as the role requires)."""
    return mfa_admin.client(mfa_admin.admin)


def _state(cast):
    with tenant_scope(cast.acme):
        return (
            list(ProductLine.objects.order_by("pk").values_list("pk", "name", "is_active")),
            list(DealStage.objects.order_by("pk").values_list("pk", "name", "rank")),
            list(ExchangeRate.objects.order_by("pk").values_list("currency", "rate",
                                                                 "valid_from")),
            list(AutoApprovalRule.objects.order_by("pk").values_list(
                "name", "min_tier_rank", "max_amount", "is_active")),
            list(CustomerAccount.objects.order_by("pk").values_list("name", "domain")),
            Event.objects.count(),
        )


def _events(cast, verb) -> list[dict]:
    with tenant_scope(cast.acme):
        return list(Event.objects.filter(verb=verb).order_by("pk").values_list("data",
                                                                               flat=True))


def _upload(client, text: str, name="customers.csv"):
    return client.post("/program/deals/customers/", {
        "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def test_overview_lists_every_section(program, admin):
    response = admin.get("/program/deals/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Cloud Suite", "Security Suite", "Qualify", "Negotiate", "Exchange rates",
                 "Auto-approval rules", "Direct customers", "playbooks"):
        assert text in body


class TestProductLines:
    def test_add(self, program, admin):
        response = admin.post("/program/deals/products/", {"name": "  Data Platform "})
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            assert ProductLine.objects.filter(name="Data Platform", is_active=True).exists()
        assert _events(program.cast, "product_line.created") == [{"name": "Data Platform"}]

    @pytest.mark.parametrize(("name", "error"), [
        ("", "This field is required."),
        ("cloud suite", "This name is already in use."),
    ])
    def test_invalid_saves_nothing(self, program, admin, name, error):
        before = _state(program.cast)
        response = admin.post("/program/deals/products/", {"name": name})
        assert response.status_code == 400
        assert error in response.context["product_form"].errors["name"]
        assert _state(program.cast) == before

    def test_rename_and_deactivate(self, program, admin):
        url = f"/program/deals/products/{program.cloud.pk}/"
        assert admin.get(url).status_code == 200
        response = admin.post(url, {"name": "Cloud Suite 2"})  # unticked: not offered
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            program.cloud.refresh_from_db()
        assert (program.cloud.name, program.cloud.is_active) == ("Cloud Suite 2", False)
        assert _events(program.cast, "product_line.updated") == [{
            "name": {"from": "Cloud Suite", "to": "Cloud Suite 2"},
            "is_active": {"from": True, "to": False}}]

    def test_rename_to_a_taken_name_saves_nothing(self, program, admin):
        before = _state(program.cast)
        response = admin.post(f"/program/deals/products/{program.cloud.pk}/", {
            "name": "SECURITY SUITE", "is_active": "on"})
        assert response.status_code == 400
        assert response.context["form"].errors["name"] == ["This name is already in use."]
        assert _state(program.cast) == before


class TestStages:
    def test_add_at_the_end(self, program, admin):
        response = admin.post("/program/deals/stages/", {"name": "Commit"})
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            assert list(DealStage.objects.values_list("name", flat=True)) == [
                "Qualify", "Discover", "Propose", "Negotiate", "Commit"]
        assert _events(program.cast, "deal_stage.created") == [{"name": "Commit", "rank": 5}]

    def test_duplicate_saves_nothing(self, program, admin):
        before = _state(program.cast)
        response = admin.post("/program/deals/stages/", {"name": "QUALIFY"})
        assert response.status_code == 400
        assert "This name is already in use." in response.content.decode()
        assert _state(program.cast) == before

    def test_rename(self, program, admin):
        stage = program.stages[1]
        response = admin.post(f"/program/deals/stages/{stage.pk}/", {"name": "Discovery"})
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            stage.refresh_from_db()
        assert stage.name == "Discovery"
        assert _events(program.cast, "deal_stage.renamed") == [{"from": "Discover",
                                                                "to": "Discovery"}]

    def test_rename_to_empty_saves_nothing(self, program, admin):
        before = _state(program.cast)
        response = admin.post(f"/program/deals/stages/{program.stages[1].pk}/", {"name": ""})
        assert response.status_code == 400
        assert _state(program.cast) == before

    def test_reorder(self, program, admin):
        propose = program.stages[2]
        admin.post(f"/program/deals/stages/{propose.pk}/move/", {"direction": "up"})
        admin.post(f"/program/deals/stages/{program.stages[0].pk}/move/", {"direction": "down"})
        with tenant_scope(program.cast.acme):
            order = list(DealStage.objects.order_by("rank").values_list("name", "rank"))
        assert order == [("Propose", 1), ("Qualify", 2), ("Discover", 3), ("Negotiate", 4)]
        assert len(_events(program.cast, "deal_stage.moved")) == 2

    def test_moving_past_the_end_saves_nothing(self, program, admin):
        before = _state(program.cast)
        response = admin.post(f"/program/deals/stages/{program.stages[0].pk}/move/",
                              {"direction": "up"})
        assert response.status_code == 302
        admin.post(f"/program/deals/stages/{program.stages[3].pk}/move/", {"direction": "down"})
        admin.post(f"/program/deals/stages/{program.stages[1].pk}/move/", {"direction": "left"})
        assert _state(program.cast) == before


class TestExchangeRates:
    def test_set(self, program, admin):
        response = admin.post("/program/deals/rates/", {
            "currency": "usd", "rate": "0.92", "valid_from": "2026-01-01"})
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            rate = ExchangeRate.objects.get()
        assert (rate.currency, rate.rate, rate.valid_from) == ("USD", Decimal("0.92"),
                                                              date(2026, 1, 1))
        assert _events(program.cast, "exchange_rate.set") == [
            {"currency": "USD", "rate": "0.92", "valid_from": "2026-01-01"}]
        assert "1 USD = 0.92 EUR" in admin.get("/program/deals/").content.decode()

    @pytest.mark.parametrize(("data", "field"), [
        ({"currency": "US", "rate": "1", "valid_from": "2026-01-01"}, "currency"),
        ({"currency": "XYZ", "rate": "1", "valid_from": "2026-01-01"}, "currency"),
        ({"currency": "EUR", "rate": "1", "valid_from": "2026-01-01"}, "currency"),
        ({"currency": "USD", "rate": "0", "valid_from": "2026-01-01"}, "rate"),
        ({"currency": "USD", "rate": "-2", "valid_from": "2026-01-01"}, "rate"),
        ({"currency": "USD", "rate": "1", "valid_from": "someday"}, "valid_from"),
    ])
    def test_invalid_saves_nothing(self, program, admin, data, field):
        before = _state(program.cast)
        response = admin.post("/program/deals/rates/", data)
        assert response.status_code == 400
        assert field in response.context["rate_form"].errors
        assert _state(program.cast) == before


class TestAutoApprovalRules:
    def test_add_with_a_minimum_tier(self, program, admin):
        gold = TierFactory(tenant=program.cast.acme, name="Gold", rank=3)
        TierFactory(tenant=program.cast.acme, name="Silver", rank=2)
        assert "Gold" in admin.get("/program/deals/").content.decode()
        response = admin.post("/program/deals/rules/", {
            "name": "Gold, small deals", "min_tier": gold.pk, "max_amount": "50000",
            "is_active": "on"})
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            rule = AutoApprovalRule.objects.get()
        assert (rule.name, rule.min_tier_rank, rule.max_amount, rule.is_active) == (
            "Gold, small deals", 3, Decimal("50000"), True)
        assert _events(program.cast, "auto_approval_rule.created") == [{
            "name": "Gold, small deals", "min_tier_rank": "3", "max_amount": "50000",
            "is_active": "True"}]
        body = admin.get("/program/deals/").content.decode()
        assert "<td>Gold</td>" in body
        assert "50,000 EUR" in body

    @pytest.mark.parametrize("data", [
        {"name": "", "max_amount": "10"},
        {"name": "Negative", "max_amount": "-1"},
        {"name": "No such tier", "min_tier": "999999"},
    ])
    def test_invalid_saves_nothing(self, program, admin, data):
        before = _state(program.cast)
        response = admin.post("/program/deals/rules/", data)
        assert response.status_code == 400
        assert response.context["rule_form"].errors
        assert _state(program.cast) == before

    def test_edit(self, program, admin):
        with tenant_scope(program.cast.acme):
            rule = AutoApprovalRule.objects.create(name="Everyone", max_amount=Decimal("1000"))
        url = f"/program/deals/rules/{rule.pk}/"
        assert admin.get(url).status_code == 200
        response = admin.post(url, {"name": "Everyone", "max_amount": "2000"})
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            rule.refresh_from_db()
        assert (rule.max_amount, rule.is_active) == (Decimal("2000"), False)
        assert _events(program.cast, "auto_approval_rule.updated") == [{
            "max_amount": {"from": "1000.00", "to": "2000"},
            "is_active": {"from": "True", "to": "False"}}]


class TestCustomerAccounts:
    def test_upload_replaces_the_list(self, program, admin):
        with tenant_scope(program.cast.acme):
            customer_accounts_replace(actor=None, rows=[("Old Customer", "old.example")])
        response = _upload(admin, "Name;Domain\nGlobomantics AG;https://www.globomantics.example"
                                  "\nWayne Logistics;\n\n")
        assert response.status_code == 302
        with tenant_scope(program.cast.acme):
            accounts = list(CustomerAccount.objects.order_by("name").values_list("name",
                                                                                  "domain"))
        assert accounts == [("Globomantics AG", "globomantics.example"), ("Wayne Logistics", "")]
        assert _events(program.cast, "customer_accounts.replaced")[-1] == {"rows": 2}
        body = admin.get("/program/deals/customers/").content.decode()
        assert "Globomantics AG" in body
        assert "2 accounts" in body

    def test_refused_rows_replace_nothing_and_are_reported(self, program, admin):
        with tenant_scope(program.cast.acme):
            customer_accounts_replace(actor=None, rows=[("Old Customer", "old.example")])
        before = _state(program.cast)
        response = _upload(admin, "name,domain\nGood GmbH,good.example\n,nameless.example\n"
                                  "Bad Domain Ltd,not a domain!\n")
        assert response.status_code == 400
        body = response.content.decode()
        assert "Nothing was replaced" in body
        assert "2 rows are refused (1 would be accepted)" in body
        assert [(r.line, r.name) for r in response.context["refused"]] == [
            (3, ""), (4, "Bad Domain Ltd")]
        assert "The name is missing." in body
        assert "The domain is not valid" in body
        assert _state(program.cast) == before

    @pytest.mark.parametrize(("content", "error"), [
        (b"company,website\nX,x.example\n", "The first line must name the columns"),
        (b"name,domain\n\xff\xfe bad bytes\n", "Save the file as CSV UTF-8"),
    ])
    def test_unreadable_files_replace_nothing(self, program, admin, content, error):
        before = _state(program.cast)
        response = admin.post("/program/deals/customers/", {
            "file": SimpleUploadedFile("c.csv", content, content_type="text/csv")})
        assert response.status_code == 400
        assert error in response.content.decode()
        assert _state(program.cast) == before


ROUTES = ["/program/deals/", "/program/deals/products/", "/program/deals/stages/",
          "/program/deals/rates/", "/program/deals/rules/", "/program/deals/customers/"]


def test_non_admins_get_404_and_change_nothing(mfa_admin, program):
    cast = mfa_admin
    with tenant_scope(cast.acme):
        rule = AutoApprovalRule.objects.create(name="Rule")
    before = _state(cast)
    detail = [f"/program/deals/products/{program.cloud.pk}/",
              f"/program/deals/stages/{program.stages[0].pk}/",
              f"/program/deals/stages/{program.stages[0].pk}/move/",
              f"/program/deals/rules/{rule.pk}/"]
    for member in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(member)
        for path in ROUTES + detail:
            assert client.get(path).status_code in (404, 405), (member, path)
            response = client.post(path, {"name": "Hijack", "direction": "down",
                                          "currency": "USD", "rate": "2",
                                          "valid_from": "2026-01-01"})
            assert response.status_code == 404, (member, path)
    # Another tenant's admin, on their own host, finds none of A's settings rows.
    other = cast.client(cast.other_admin)
    for path in detail:
        assert other.post(path, {"name": "Hijack", "direction": "down"}).status_code == 404
    assert _state(cast) == before


def test_settings_query_count_does_not_grow(program, admin):
    cast = program.cast
    admin.get("/program/deals/")  # warm-up
    with CaptureQueriesContext(connection) as few:
        admin.get("/program/deals/")
    tiers = [TierFactory(tenant=cast.acme, rank=n) for n in range(1, 6)]
    with tenant_scope(cast.acme):
        for n in range(20):
            ProductLine.objects.create(name=f"Line {n}")
            DealStage.objects.create(name=f"Stage {n}", rank=10 + n)
            ExchangeRate.objects.create(currency=f"C{n:02d}"[:3], rate=Decimal("1.5"),
                                        valid_from=date(2026, 1, 1))
            AutoApprovalRule.objects.create(name=f"Rule {n}", min_tier_rank=tiers[n % 5].rank)
        customer_accounts_replace(actor=None, rows=[(f"Customer {n}", "") for n in range(80)])
    with CaptureQueriesContext(connection) as many:
        admin.get("/program/deals/")
    # tenant, session, user, membership, the admin's authenticator (TOTP); the tier names,
    # the rules, rates, direct-customer count, product lines, stages, and the rule form's
    # tier choices. Nested under the test's transaction, the tenant scope adds a savepoint,
    # its release, and reading, setting and restoring the tenant setting.
    assert len(few) == len(many) == 17, "\n".join(q["sql"][:90] for q in many.captured_queries)
