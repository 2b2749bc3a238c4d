"""Partners, tiers and applications through the API; partner people see only their own."""

from __future__ import annotations

from partners.models import Partner, PartnerApplication, PartnerStatusChange, Specialisation, Tier
from partners.services import application_submit
from prm.models import Event, Invitation, Role
from prm.tenancy import tenant_scope
from tests.factories import PartnerFactory, TierFactory


def test_partner_people_list_only_their_own_organisation(cast):
    for membership, partner in ((cast.partner_admin, cast.northwind),
                                (cast.partner_user, cast.contoso)):
        body = cast.client(membership).get("/api/v1/partners/").json()
        assert [row["id"] for row in body["results"]] == [partner.pk]
        other = cast.contoso if partner == cast.northwind else cast.northwind
        assert cast.client(membership).get(f"/api/v1/partners/{other.pk}/").status_code == 404


def test_managers_list_filter_and_sort(cast):
    gold = TierFactory(tenant=cast.acme, name="Gold", rank=3)
    PartnerFactory(tenant=cast.acme, name="Zeta Gold", tier=gold, country="FR")
    PartnerFactory(tenant=cast.acme, name="Alpha Gold", tier=gold, country="FR")
    client = cast.client(cast.manager)
    body = client.get("/api/v1/partners/", {"tier": gold.pk, "sort": "name"}).json()
    assert [row["name"] for row in body["results"]] == ["Alpha Gold", "Zeta Gold"]
    assert body["count"] == 2
    by_country = client.get("/api/v1/partners/", {"country": "FR", "sort": "-name"}).json()
    assert [row["name"] for row in by_country["results"]] == ["Zeta Gold", "Alpha Gold"]
    bad = client.get("/api/v1/partners/", {"status": "sleepy"})
    assert bad.status_code == 400
    assert "status" in bad.json()


def test_create_normalises_the_domain_and_refuses_duplicates(cast):
    client = cast.client(cast.manager)
    created = client.post("/api/v1/partners/", {
        "name": "Bücher Haus", "website": "https://www.Bücher.de/shop", "partner_type": "reseller",
        "country": "DE", "specialisations": ["Retail", "retail", "Security"],
    }, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["domain"] == "xn--bcher-kva.de"
    assert sorted(created.json()["specialisations"]) == ["Retail", "Security"]
    again = client.post("/api/v1/partners/", {
        "name": "Other", "domain": "buecher@bücher.de", "partner_type": "referral"},
        content_type="application/json")
    assert again.status_code == 400
    assert "domain" in again.json()


def test_a_refused_partner_leaves_no_new_specialisations_behind(cast):
    client = cast.client(cast.manager)
    with tenant_scope(cast.acme):
        before = set(Specialisation.objects.values_list("name", flat=True))
    duplicate = client.post("/api/v1/partners/", {
        "name": "Copy", "domain": cast.northwind.domain, "partner_type": "reseller",
        "specialisations": ["Brand new tag"]}, content_type="application/json")
    assert duplicate.status_code == 400
    bad_manager = client.patch(f"/api/v1/partners/{cast.northwind.pk}/", {
        "manager": cast.partner_admin.pk, "specialisations": ["Another new tag"]},
        content_type="application/json")
    assert bad_manager.status_code == 400
    with tenant_scope(cast.acme):
        assert set(Specialisation.objects.values_list("name", flat=True)) == before


def test_free_mail_domains_are_no_company_domain(cast):
    client = cast.client(cast.manager)
    created = client.post("/api/v1/partners/", {
        "name": "Solo", "domain": "someone@gmail.com", "partner_type": "referral"},
        content_type="application/json")
    assert created.status_code == 400
    assert "domain" in created.json()
    edited = client.patch(f"/api/v1/partners/{cast.northwind.pk}/", {"domain": "gmx.de"},
                          content_type="application/json")
    assert edited.status_code == 400
    with tenant_scope(cast.acme):
        assert Partner.objects.get(pk=cast.northwind.pk).domain == cast.northwind.domain


def test_update_records_what_changed(cast):
    response = cast.client(cast.manager).patch(
        f"/api/v1/partners/{cast.northwind.pk}/", {"name": "Northwind Traders AG",
                                                   "manager": cast.manager.pk},
        content_type="application/json")
    assert response.status_code == 200
    assert response.json()["manager"] == "max@acme.test"
    with tenant_scope(cast.acme):
        event = Event.objects.get(verb="partner.updated")
    assert event.data["name"] == {"from": "Northwind Traders", "to": "Northwind Traders AG"}


def test_partner_people_cannot_create_or_edit(cast):
    client = cast.client(cast.partner_admin)
    assert client.post("/api/v1/partners/", {"name": "X", "partner_type": "msp"},
                       content_type="application/json").status_code == 404
    assert client.patch(f"/api/v1/partners/{cast.northwind.pk}/", {"name": "Mine now"},
                        content_type="application/json").status_code == 404


class TestTiers:
    def test_admin_creates_edits_and_deletes(self, mfa_admin):
        client = mfa_admin.client(mfa_admin.admin)
        created = client.post("/api/v1/tiers/", {"name": "Silver", "rank": 2,
                                                 "discount_percent": "12.5",
                                                 "min_revenue_12m": "50000",
                                                 "min_certified_people": 1, "min_deals_won": 2},
                              content_type="application/json")
        assert created.status_code == 201, created.json()
        tier_id = created.json()["id"]
        edited = client.patch(f"/api/v1/tiers/{tier_id}/", {"min_deals_won": 3},
                              content_type="application/json")
        assert edited.json()["min_deals_won"] == 3
        assert client.delete(f"/api/v1/tiers/{tier_id}/").status_code == 204

    def test_bad_values_and_duplicate_ranks_are_400(self, mfa_admin):
        TierFactory(tenant=mfa_admin.acme, name="Gold", rank=3)
        client = mfa_admin.client(mfa_admin.admin)
        bad = client.post("/api/v1/tiers/", {"name": "X", "rank": 0, "discount_percent": "120"},
                          content_type="application/json")
        assert bad.status_code == 400
        assert {"rank", "discount_percent"} <= set(bad.json())
        dup = client.post("/api/v1/tiers/", {"name": "gold", "rank": 4},
                          content_type="application/json")
        assert dup.status_code == 400
        with tenant_scope(mfa_admin.acme):
            assert Tier.objects.count() == 1

    def test_a_tier_in_use_cannot_be_deleted(self, mfa_admin):
        tier = TierFactory(tenant=mfa_admin.acme)
        PartnerFactory(tenant=mfa_admin.acme, tier=tier)
        response = mfa_admin.client(mfa_admin.admin).delete(f"/api/v1/tiers/{tier.pk}/")
        assert response.status_code == 409

    def test_everyone_reads_only_admins_write(self, cast):
        TierFactory(tenant=cast.acme)
        client = cast.client(cast.partner_user)
        assert client.get("/api/v1/tiers/").json()["count"] == 1
        assert client.post("/api/v1/tiers/", {"name": "Mine", "rank": 9},
                           content_type="application/json").status_code == 404
        assert cast.client(cast.manager).post(
            "/api/v1/tiers/", {"name": "Mine", "rank": 9},
            content_type="application/json").status_code == 404


class TestApplications:
    def _apply(self, cast, website="https://www.newco.example"):
        with tenant_scope(cast.acme):
            return application_submit(
                company_name="NewCo", website=website, country="DE", partner_type="msp",
                contact_name="Nina", contact_email="Nina@NewCo.example", message="Hello",
                regions=["emea"], specialisations=["Security"])

    def test_approve_creates_partner_and_invites_the_applicant(self, cast):
        application = self._apply(cast)
        response = cast.client(cast.manager).post(
            f"/api/v1/partner-applications/{application.pk}/approve/", {"note": "Welcome"},
            content_type="application/json")
        assert response.status_code == 200, response.json()
        with tenant_scope(cast.acme):
            partner = Partner.objects.get(domain="newco.example")
            assert partner.status == "approved"
            invitation = Invitation.objects.get(email="nina@newco.example")
            assert (invitation.role, invitation.partner) == (Role.PARTNER_ADMIN, partner)
            assert Event.objects.filter(verb="partner.approved",
                                        subject_id=str(partner.pk)).exists()
            application.refresh_from_db()
            assert application.status == PartnerApplication.Status.APPROVED
        again = cast.client(cast.manager).post(
            f"/api/v1/partner-applications/{application.pk}/approve/", {},
            content_type="application/json")
        assert again.status_code == 409

    def test_the_review_note_stays_with_the_vendor(self, cast):
        application = self._apply(cast)
        cast.client(cast.manager).post(
            f"/api/v1/partner-applications/{application.pk}/approve/",
            {"note": "Thin references; watch the first deals."},
            content_type="application/json")
        with tenant_scope(cast.acme):
            partner = Partner.objects.get(domain="newco.example")
            reasons = list(PartnerStatusChange.objects.filter(partner=partner)
                           .values_list("reason", flat=True))
            application.refresh_from_db()
        assert not any("Thin references" in reason for reason in reasons)
        assert partner.status_reason == f"Application #{application.pk} approved"
        assert application.review_note == "Thin references; watch the first deals."

    def test_a_long_website_is_approved_without_error(self, cast):
        website = "https://newco.example/" + "p" * 250
        application = self._apply(cast, website=website)
        response = cast.client(cast.manager).post(
            f"/api/v1/partner-applications/{application.pk}/approve/", {},
            content_type="application/json")
        assert response.status_code == 200, response.json()
        with tenant_scope(cast.acme):
            assert Partner.objects.get(domain="newco.example").website == website

    def test_known_domain_is_flagged_not_duplicated(self, cast):
        application = self._apply(cast, website="http://northwind.test/contact")
        assert application.existing_partner == cast.northwind
        response = cast.client(cast.manager).post(
            f"/api/v1/partner-applications/{application.pk}/approve/", {},
            content_type="application/json")
        assert response.status_code == 409
        with tenant_scope(cast.acme):
            assert Partner.objects.filter(domain="northwind.test").count() == 1

    def test_decline_needs_a_note(self, cast):
        application = self._apply(cast)
        client = cast.client(cast.manager)
        url = f"/api/v1/partner-applications/{application.pk}/decline/"
        assert client.post(url, {}, content_type="application/json").status_code == 400
        declined = client.post(url, {"note": "Not a fit today"}, content_type="application/json")
        assert declined.json()["status"] == "declined"

    def test_partner_people_never_see_applications(self, cast):
        application = self._apply(cast)
        client = cast.client(cast.partner_admin)
        assert client.get("/api/v1/partner-applications/").status_code == 404
        assert client.get(f"/api/v1/partner-applications/{application.pk}/").status_code == 404
