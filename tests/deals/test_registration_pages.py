"""The "Register a deal" page and its live duplicate hint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deals.models import Deal, DealStatus
from prm.models import Event
from prm.tenancy import tenant_scope

REGISTER = "/deals/new/"
HINT = "/deals/new/hint/"


def _form(program, **overrides) -> dict:
    data = {
        "customer_name": "Initrode GmbH", "customer_domain": "https://www.Initrode.example/about",
        "customer_country": "DE", "contact_name": "Ina Roe",
        "contact_email": "ina@initrode.example",
        "contact_title": "CIO", "product": program.cloud.pk, "amount": "50000", "currency": "EUR",
        "expected_close_date": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "stage": program.stages[0].pk, "notes": "Wants a pilot",
    }
    data.update(overrides)
    return data


def _deals(cast) -> list[tuple]:
    with tenant_scope(cast.acme):
        return list(Deal.objects.order_by("pk").values_list("partner_id", "customer_domain",
                                                            "product_id", "status"))


class TestRegisterPage:
    def test_partners_get_the_form_with_the_programs_defaults(self, program):
        cast = program.cast
        for member in (cast.partner_admin, cast.partner_user):
            page = cast.client(member).get(REGISTER)
            assert page.status_code == 200
            form = page.context["form"]
            assert "partner" not in form.fields  # a partner registers for its own company
            assert form["currency"].value() == cast.acme.default_currency
            assert form["stage"].value() == program.stages[0].pk
            assert 'aria-live="polite"' in page.content.decode()
            assert 'hx-get="/deals/new/hint/"' in page.content.decode()

    def test_valid_registration_creates_the_deal_and_redirects(self, program):
        cast = program.cast
        client = cast.client(cast.partner_admin)
        response = client.post(REGISTER, _form(program))
        with tenant_scope(cast.acme):
            deal = Deal.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/deals/{deal.pk}/"
        assert (deal.partner_id, deal.registered_by_id) == (cast.northwind.pk,
                                                            cast.partner_admin.pk)
        assert (deal.customer_domain, deal.contact_title, deal.status) == (
            "initrode.example", "CIO", DealStatus.SUBMITTED)
        page = client.get(response["Location"])
        assert "Registration submitted. A channel manager will review it." in page.content.decode()

    @pytest.mark.parametrize(("overrides", "field"), [
        ({"customer_name": ""}, "customer_name"),
        ({"customer_domain": "not a domain"}, "customer_domain"),
        ({"customer_domain": "someone@gmail.com"}, "customer_domain"),
        ({"amount": "-5"}, "amount"),
        ({"expected_close_date": "soon"}, "expected_close_date"),
        ({"currency": "XYZ"}, "currency"),
    ])
    def test_invalid_input_shows_errors_and_stores_nothing(self, program, overrides, field):
        cast = program.cast
        response = cast.client(cast.partner_admin).post(REGISTER, _form(program, **overrides))
        assert response.status_code == 200
        assert response.context["form"].errors[field]
        assert 'aria-invalid="true"' in response.content.decode()
        assert _deals(cast) == []
        with tenant_scope(cast.acme):
            assert not Event.objects.filter(verb="deal.submitted").exists()

    def test_exact_conflict_is_refused_and_nothing_is_stored(self, program):
        cast = program.cast
        program.submit(member=cast.partner_user)  # Contoso was first: Initrode, cloud
        before = _deals(cast)
        response = cast.client(cast.partner_admin).post(REGISTER, _form(program))
        body = response.content.decode()
        assert response.status_code == 200
        assert "A registration for this customer and product already exists." in body
        assert "Contoso" not in body
        assert _deals(cast) == before

    def test_possible_conflict_is_saved_and_flagged_for_review(self, program):
        cast = program.cast
        program.submit(member=cast.partner_user)
        client = cast.client(cast.partner_admin)
        response = client.post(REGISTER, _form(program, product=program.security.pk),
                               follow=True)
        body = response.content.decode()
        with tenant_scope(cast.acme):
            deal = Deal.objects.get(partner=cast.northwind)
        assert deal.has_conflict
        assert deal.status == DealStatus.SUBMITTED
        assert "yours is flagged for review" in body
        assert "Contoso" not in body
        assert "paul@contoso.test" not in body

    def test_vendor_registers_on_behalf_of_a_partner(self, program):
        cast = program.cast
        client = cast.client(cast.manager)
        assert "partner" in client.get(REGISTER).context["form"].fields
        missing = client.post(REGISTER, _form(program))
        assert missing.context["form"].errors["partner"]
        response = client.post(REGISTER, _form(program, partner=cast.contoso.pk))
        assert response.status_code == 302
        with tenant_scope(cast.acme):
            deal = Deal.objects.get()
        assert (deal.partner_id, deal.registered_by_id) == (cast.contoso.pk, cast.manager.pk)

    def test_outsiders_are_sent_away_and_store_nothing(self, program):
        cast = program.cast
        anonymous = cast.client()
        assert anonymous.get(REGISTER).status_code == 302
        assert anonymous.post(REGISTER, _form(program)).status_code == 302
        # Tenant B's admin is nobody on tenant A's host: signed out, like anyone anonymous.
        stranger = cast.client(cast.other_admin, tenant=cast.acme)
        assert stranger.post(REGISTER, _form(program)).status_code == 302
        assert _deals(cast) == []


class TestHint:
    def test_partner_learns_only_that_a_registration_may_exist(self, program):
        cast = program.cast
        program.submit(member=cast.partner_user, contact_name="Secret Sam",
                       notes="Contoso's secret plan")
        client = cast.client(cast.partner_admin)
        for query in ({"customer_name": "Initrode", "customer_domain": "initrode.example"},
                      {"customer_name": "", "customer_domain": "www.INITRODE.example"},
                      {"customer_name": "The Initrode G.m.b.H.", "customer_domain": ""}):
            response = client.get(HINT, query, HTTP_HX_REQUEST="true")
            body = response.content.decode()
            assert response.status_code == 200
            assert "A registration for this customer may already exist; it will be reviewed." \
                in body
            for secret in ("Contoso", "paul@contoso.test", "Secret Sam", "secret plan",
                           "Cloud Suite", "50", "Initrode GmbH"):
                assert secret not in body, (query, secret)

    def test_clear_customer_says_nothing(self, program):
        cast = program.cast
        program.submit(member=cast.partner_user)
        client = cast.client(cast.partner_admin)
        for query in ({"customer_name": "Umbrella Corporation",
                       "customer_domain": "umbrella.example"},
                      {"customer_name": "", "customer_domain": "half.typed"},
                      {"customer_name": "", "customer_domain": ""}):
            response = client.get(HINT, query, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            assert response.content.decode().strip() == "", query

    def test_a_direct_customer_of_the_vendor_is_hinted_too(self, program):
        from deals.services import customer_accounts_replace

        cast = program.cast
        with tenant_scope(cast.acme):
            customer_accounts_replace(actor=None,
                                      rows=[("Umbrella Corporation", "umbrella.example")])
        response = cast.client(cast.partner_user).get(
            HINT, {"customer_name": "Umbrella Corp", "customer_domain": ""})
        assert "may already exist" in response.content.decode()

    def test_needs_a_membership(self, program):
        cast = program.cast
        assert cast.client().get(HINT, {"customer_name": "Initrode"}).status_code == 302
        stranger = cast.client(cast.other_admin, tenant=cast.acme)
        assert stranger.get(HINT, {"customer_name": "Initrode"}).status_code == 302


class TestEditPage:
    def _edit_form(self, program, deal, **overrides) -> dict:
        data = _form(program, **overrides)
        data.pop("stage", None)
        data.pop("partner", None)
        data["version"] = deal.version
        return data

    def test_the_partner_corrects_a_submitted_registration(self, program):
        cast = program.cast
        deal, _ = program.submit()
        client = cast.client(cast.partner_admin)
        page = client.get(f"/deals/{deal.pk}/edit/")
        assert page.status_code == 200
        assert page.context["form"]["customer_domain"].value() == deal.customer_domain
        assert "stage" not in page.context["form"].fields
        assert f'href="/deals/{deal.pk}/edit/"' in client.get(f"/deals/{deal.pk}/").content.decode()
        response = client.post(f"/deals/{deal.pk}/edit/",
                               self._edit_form(program, deal, amount="75000",
                                               contact_title="CFO"))
        assert response["Location"] == f"/deals/{deal.pk}/"
        with tenant_scope(cast.acme):
            saved = Deal.objects.get(pk=deal.pk)
            assert (saved.amount, saved.contact_title, saved.registered_at) == (
                75000, "CFO", deal.registered_at)
            assert Event.objects.filter(verb="deal.updated", subject_id=str(deal.pk)).exists()

    def test_an_edit_into_another_open_registration_is_refused_on_the_field(self, program):
        cast = program.cast
        program.submit(member=cast.partner_user, customer_name="Umbrella",
                       customer_domain="umbrella.example")
        deal, _ = program.submit()
        response = cast.client(cast.partner_admin).post(
            f"/deals/{deal.pk}/edit/",
            self._edit_form(program, deal, customer_domain="umbrella.example"))
        assert response.status_code == 400
        assert response.context["form"].errors
        with tenant_scope(cast.acme):
            assert Deal.objects.get(pk=deal.pk).customer_domain == deal.customer_domain

    def test_a_stale_form_says_it_changed_meanwhile_and_saves_nothing(self, program):
        cast = program.cast
        deal, _ = program.submit()
        with tenant_scope(cast.acme):
            Deal.objects.filter(pk=deal.pk).update(version=deal.version + 1)
        response = cast.client(cast.partner_admin).post(
            f"/deals/{deal.pk}/edit/", self._edit_form(program, deal, amount="1"))
        assert response.status_code == 400
        assert "changed meanwhile" in response.content.decode()
        with tenant_scope(cast.acme):
            assert Deal.objects.get(pk=deal.pk).amount == deal.amount

    def test_a_decided_registration_is_not_edited_and_others_are_404(self, program):
        cast = program.cast
        deal, _ = program.submit()
        with tenant_scope(cast.acme):
            from deals.services import deal_approve

            deal_approve(member=cast.manager, deal=deal)
        client = cast.client(cast.partner_admin)
        refused = client.post(f"/deals/{deal.pk}/edit/", self._edit_form(program, deal))
        assert refused["Location"] == f"/deals/{deal.pk}/"
        assert cast.client(cast.partner_user).get(f"/deals/{deal.pk}/edit/").status_code == 404
