"""The program's tiers: tenant admins edit them; partners see theirs and the next one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import Tier
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import PartnerFactory, TierFactory

TIER_INPUT = {"name": "Diamond", "rank": 9, "benefits": "Everything", "discount_percent": "30",
              "min_revenue_12m": "2000000", "min_certified_people": 10, "min_deals_won": 25}


@pytest.fixture
def ladder(mfa_admin):
    """Registered < Silver < Gold in acme; Northwind is Silver, Contoso has no tier."""
    cast = mfa_admin
    tiers = {
        "registered": TierFactory(tenant=cast.acme, name="Registered", rank=1,
                                  benefits="Portal access", discount_percent=Decimal("5")),
        "silver": TierFactory(tenant=cast.acme, name="Silver", rank=2,
                              benefits="Co-branded content\nQuarterly review",
                              discount_percent=Decimal("12.5"),
                              min_revenue_12m=Decimal("50000"), min_certified_people=1,
                              min_deals_won=2),
        "gold": TierFactory(tenant=cast.acme, name="Gold", rank=3, benefits="Funds",
                            discount_percent=Decimal("20"), min_revenue_12m=Decimal("250000"),
                            min_certified_people=3, min_deals_won=6),
    }
    with tenant_scope(cast.acme):
        cast.northwind.tier = tiers["silver"]
        cast.northwind.save(update_fields=["tier"])
    return tiers


def _tiers(tenant):
    with tenant_scope(tenant):
        return (list(Tier.objects.order_by("pk").values_list(
            "pk", "name", "rank", "benefits", "discount_percent", "min_revenue_12m",
            "min_certified_people", "min_deals_won")), Event.objects.count())


class TestTierList:
    def test_lists_tiers_in_order_with_partner_counts_and_a_chart(self, mfa_admin, ladder):
        PartnerFactory(tenant=mfa_admin.acme, tier=ladder["gold"])
        PartnerFactory(tenant=mfa_admin.acme, tier=ladder["gold"])
        TierFactory(tenant=mfa_admin.globex, name="Globex Secret Tier", rank=1)
        response = mfa_admin.client(mfa_admin.admin).get("/program/tiers/")
        assert response.status_code == 200
        assert [(t.name, t.partner_count) for t in response.context["tiers"]] == [
            ("Registered", 0), ("Silver", 1), ("Gold", 2)]
        body = response.content.decode()
        assert "Globex Secret Tier" not in body
        assert "250,000 EUR" in body
        assert 'role="img"' in body
        assert 'aria-label="Partners per tier: Registered 0, Silver 1, Gold 2"' in body
        widths = [bar["width"] for bar in response.context["chart"]["bars"]]
        assert widths[2] > widths[1] > widths[0]

    def test_query_count_does_not_grow_with_tiers_or_partners(self, mfa_admin, ladder):
        client = mfa_admin.client(mfa_admin.admin)
        client.get("/program/tiers/")  # warm-up
        with CaptureQueriesContext(connection) as few:
            client.get("/program/tiers/")
        for rank in range(10, 20):
            tier = TierFactory(tenant=mfa_admin.acme, name=f"Level {rank}", rank=rank)
            PartnerFactory(tenant=mfa_admin.acme, tier=tier)
        with CaptureQueriesContext(connection) as many:
            response = client.get("/program/tiers/")
        assert len(response.context["tiers"]) == 13
        # tenant, session, user, membership, the admin's TOTP check, the tiers with their
        # partner counts; nested under the test's transaction: savepoint, release, and the
        # tenant setting read, set and restored.
        assert len(few) == len(many) == 11, [q["sql"][:60] for q in many.captured_queries]

    def test_other_roles_get_404_and_change_nothing(self, mfa_admin, ladder):
        cast = mfa_admin
        before = _tiers(cast.acme)
        silver = ladder["silver"].pk
        for membership in (cast.manager, cast.partner_admin, cast.partner_user):
            client = cast.client(membership)
            for path in ("/program/tiers/", "/program/tiers/new/",
                         f"/program/tiers/{silver}/edit/"):
                assert client.get(path).status_code == 404, (membership, path)
                assert client.post(path, TIER_INPUT).status_code == 404, (membership, path)
            assert client.post(f"/program/tiers/{ladder['registered'].pk}/delete/"
                               ).status_code == 404
        assert _tiers(cast.acme) == before

    def test_another_tenants_admin_gets_404_for_our_tiers(self, mfa_admin, ladder):
        before = _tiers(mfa_admin.acme)
        client = mfa_admin.client(mfa_admin.other_admin)
        registered = ladder["registered"].pk
        assert client.get(f"/program/tiers/{registered}/edit/").status_code == 404
        assert client.post(f"/program/tiers/{registered}/edit/", TIER_INPUT).status_code == 404
        assert client.post(f"/program/tiers/{registered}/delete/").status_code == 404
        assert _tiers(mfa_admin.acme) == before


class TestTierEditing:
    def test_admin_adds_a_tier(self, mfa_admin, ladder):
        client = mfa_admin.client(mfa_admin.admin)
        assert client.get("/program/tiers/new/").context["form"].initial["rank"] == 4
        response = client.post("/program/tiers/new/", TIER_INPUT, follow=True)
        assert response.redirect_chain == [("/program/tiers/", 302)]
        assert "Tier Diamond added." in response.content.decode()
        with tenant_scope(mfa_admin.acme):
            diamond = Tier.objects.get(name="Diamond")
            assert Event.objects.filter(verb="tier.created", subject_id=str(diamond.pk)).exists()
        assert (diamond.rank, diamond.discount_percent, diamond.min_revenue_12m,
                diamond.min_certified_people, diamond.min_deals_won) == (
            9, Decimal("30"), Decimal("2000000"), 10, 25)

    @pytest.mark.parametrize(("changes", "field"), [
        ({"name": ""}, "name"),
        ({"rank": 0}, "rank"),
        ({"discount_percent": "101"}, "discount_percent"),
        ({"min_revenue_12m": "-1"}, "min_revenue_12m"),
        ({"min_deals_won": "many"}, "min_deals_won"),
        ({"rank": 2}, "rank"),               # Silver's rank
        ({"name": "gold"}, "rank"),           # another tier's name, in any case
    ])
    def test_bad_input_shows_the_form_again_and_adds_nothing(self, mfa_admin, ladder,
                                                             changes, field):
        before = _tiers(mfa_admin.acme)
        response = mfa_admin.client(mfa_admin.admin).post("/program/tiers/new/",
                                                          {**TIER_INPUT, **changes})
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert b'aria-invalid="true"' in response.content
        assert _tiers(mfa_admin.acme) == before

    def test_admin_edits_a_tier(self, mfa_admin, ladder):
        silver = ladder["silver"]
        client = mfa_admin.client(mfa_admin.admin)
        page = client.get(f"/program/tiers/{silver.pk}/edit/")
        assert page.context["form"].initial["name"] == "Silver"
        response = client.post(f"/program/tiers/{silver.pk}/edit/", {
            **TIER_INPUT, "name": "Silver Plus", "rank": 2, "min_deals_won": 3})
        assert response["Location"] == "/program/tiers/"
        with tenant_scope(mfa_admin.acme):
            silver.refresh_from_db()
            event = Event.objects.get(verb="tier.updated")
        assert (silver.name, silver.min_deals_won) == ("Silver Plus", 3)
        assert event.data["name"] == {"from": "Silver", "to": "Silver Plus"}

    def test_editing_to_a_taken_rank_is_refused(self, mfa_admin, ladder):
        before = _tiers(mfa_admin.acme)
        silver = ladder["silver"]
        response = mfa_admin.client(mfa_admin.admin).post(
            f"/program/tiers/{silver.pk}/edit/", {**TIER_INPUT, "name": "Silver", "rank": 3})
        assert response.status_code == 200
        assert response.context["form"].errors["rank"] == ["Another tier has this name or rank."]
        assert "Edit tier Silver" in response.content.decode()
        assert _tiers(mfa_admin.acme) == before

    def test_admin_deletes_an_unused_tier(self, mfa_admin, ladder):
        gold = ladder["gold"]
        response = mfa_admin.client(mfa_admin.admin).post(f"/program/tiers/{gold.pk}/delete/",
                                                          follow=True)
        assert "Tier Gold deleted." in response.content.decode()
        with tenant_scope(mfa_admin.acme):
            assert not Tier.objects.filter(pk=gold.pk).exists()
            assert Event.objects.filter(verb="tier.deleted").count() == 1

    def test_a_tier_in_use_cannot_be_deleted(self, mfa_admin, ladder):
        before = _tiers(mfa_admin.acme)
        response = mfa_admin.client(mfa_admin.admin).post(
            f"/program/tiers/{ladder['silver'].pk}/delete/", follow=True)
        assert ("Partners are at this tier; move them to another tier first."
                in response.content.decode())
        assert _tiers(mfa_admin.acme) == before

    def test_delete_is_post_only(self, mfa_admin, ladder):
        response = mfa_admin.client(mfa_admin.admin).get(
            f"/program/tiers/{ladder['gold'].pk}/delete/")
        assert response.status_code == 405


class TestMyProgram:
    def test_partner_sees_its_tier_benefits_and_the_next_tiers_requirements(self, cast, ladder):
        response = cast.client(cast.partner_admin).get("/program/")
        assert response.status_code == 200
        assert response.context["partner"] == cast.northwind
        assert response.context["next_tier"] == ladder["gold"]
        body = response.content.decode()
        for text in ("Silver", "12.50%", "Co-branded content<br>Quarterly review",
                     "To reach Gold", "at least 250,000 EUR", "at least 3", "at least 6",
                     "Your progress will be shown here"):
            assert text in body, text
        assert '<tr aria-current="true">' in body
        assert "your tier" in body

    def test_a_partner_without_a_tier_sees_the_entry_tier(self, cast, ladder):
        response = cast.client(cast.partner_user).get("/program/")  # Contoso: no tier
        assert response.context["next_tier"] == ladder["registered"]
        body = response.content.decode()
        assert "The program starts at Registered." in body
        assert "Portal access" in body
        assert "To reach Registered" in body
        assert 'aria-current="true"' not in body

    def test_at_the_highest_tier_there_is_nothing_above(self, cast, ladder):
        with tenant_scope(cast.acme):
            cast.northwind.tier = ladder["gold"]
            cast.northwind.save(update_fields=["tier"])
        response = cast.client(cast.partner_admin).get("/program/")
        assert response.context["next_tier"] is None
        assert "at the highest tier" in response.content.decode()

    def test_vendor_people_get_404(self, mfa_admin):
        for membership in (mfa_admin.admin, mfa_admin.manager):
            assert mfa_admin.client(membership).get("/program/").status_code == 404
