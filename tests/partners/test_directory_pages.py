"""The partner directory, its CSV export, and the partner pages (profile, edit, status)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import Partner, PartnerStatus, PartnerStatusChange
from partners.services import partner_transition, specialisations_by_name
from prm.models import Event, Role
from prm.tenancy import tenant_scope
from tests.factories import MembershipFactory, PartnerFactory, TierFactory

S = PartnerStatus


def _names(response) -> list[str]:
    return [partner.name for partner in response.context["page"].object_list]


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _state(tenant):
    with tenant_scope(tenant):
        return (list(Partner.objects.order_by("pk").values_list("pk", "name", "status",
                                                                 "status_reason")),
                PartnerStatusChange.objects.count(), Event.objects.count())


@pytest.fixture
def program(cast):
    """Four more partners of acme, different in every way the directory filters by."""
    gold = TierFactory(tenant=cast.acme, name="Gold", rank=3)
    silver = TierFactory(tenant=cast.acme, name="Silver", rank=2)
    with tenant_scope(cast.acme):
        security, retail = specialisations_by_name(["Security", "Retail"])
    partners = {
        "alpha": PartnerFactory(tenant=cast.acme, name="Alpha Systems", domain="alpha.example",
                                country="FR", tier=gold, manager=cast.manager,
                                partner_type="msp"),
        "beta": PartnerFactory(tenant=cast.acme, name="Beta Cloud", domain="betacloud.example",
                               country="US", region="north_america", tier=silver,
                               status="at_risk"),
        "gamma": PartnerFactory(tenant=cast.acme, name="Gamma Data", domain="gamma.example",
                                country="JP", region="apac", tier=gold, status="onboarding",
                                partner_type="referral"),
        "delta": PartnerFactory(tenant=cast.acme, name="=HYPERLINK(\"x\") Delta",
                                domain="delta.example", country="FR", status="inactive"),
    }
    with tenant_scope(cast.acme):
        partners["alpha"].specialisations.add(security, retail)
        partners["gamma"].specialisations.add(security)
    return {"gold": gold, "silver": silver, "security": security, **partners}


class TestDirectory:
    def test_lists_every_partner_of_the_tenant_by_name(self, cast, program):
        PartnerFactory(tenant=cast.globex, name="Globex Only Partner")
        response = cast.client(cast.manager).get("/partners/")
        assert response.status_code == 200
        assert _names(response) == ["=HYPERLINK(\"x\") Delta", "Alpha Systems", "Beta Cloud",
                                    "Contoso Ltd", "Gamma Data", "Northwind Traders"]
        assert b"Globex Only Partner" not in response.content
        assert f'href="/partners/{program["alpha"].pk}/"'.encode() in response.content

    @pytest.mark.parametrize(("filters", "expected"), [
        ({"q": "cloud"}, ["Beta Cloud"]),
        ({"q": "GAMMA.EX"}, ["Gamma Data"]),
        ({"country": "FR"}, ["=HYPERLINK(\"x\") Delta", "Alpha Systems"]),
        ({"region": "apac"}, ["Gamma Data"]),
        ({"partner_type": "msp"}, ["Alpha Systems"]),
        ({"status": "at_risk"}, ["Beta Cloud"]),
        ({"specialisation": "security"}, ["Alpha Systems", "Gamma Data"]),
        ({"tier": "gold", "sort": "-name"}, ["Gamma Data", "Alpha Systems"]),
        ({"manager": "manager"}, ["Alpha Systems"]),
        ({"country": "FR", "partner_type": "reseller"}, ["=HYPERLINK(\"x\") Delta"]),
        ({"q": "nothing-like-this"}, []),
    ])
    def test_search_and_filters_narrow_the_list(self, cast, program, filters, expected):
        ids = {"gold": program["gold"].pk, "security": program["security"].pk,
               "manager": cast.manager.pk}
        query = {key: ids.get(value, value) for key, value in filters.items()}
        response = cast.client(cast.manager).get("/partners/", query)
        assert response.status_code == 200
        assert _names(response) == expected

    def test_sorts_by_tier_and_newest(self, cast, program):
        client = cast.client(cast.manager)
        by_tier = _names(client.get("/partners/", {"sort": "-tier", "status": "",
                                                   "tier": program["gold"].pk}))
        assert by_tier == ["Alpha Systems", "Gamma Data"]
        lowest_first = _names(client.get("/partners/", {"sort": "tier"}))
        assert lowest_first[:3] == ["Beta Cloud", "Alpha Systems", "Gamma Data"]
        newest = _names(client.get("/partners/", {"sort": "-created"}))
        assert newest[0] == "=HYPERLINK(\"x\") Delta"

    def test_highest_tier_first_puts_partners_without_a_tier_last(self, cast, program):
        highest_first = _names(cast.client(cast.manager).get("/partners/", {"sort": "-tier"}))
        assert highest_first[:3] == ["Alpha Systems", "Gamma Data", "Beta Cloud"]

    def test_a_bad_filter_value_is_an_error_on_its_field_and_ignored(self, cast, program):
        response = cast.client(cast.manager).get("/partners/", {"tier": "999999",
                                                                "country": "FR"})
        assert response.status_code == 200
        assert "tier" in response.context["form"].errors
        assert _names(response) == ["=HYPERLINK(\"x\") Delta", "Alpha Systems"]

    def test_pages_of_25_keep_the_filters(self, cast):
        for n in range(30):
            PartnerFactory(tenant=cast.acme, name=f"Paged {n:02}", status="onboarding")
        client = cast.client(cast.manager)
        first = client.get("/partners/", {"status": "onboarding"})
        assert len(first.context["page"].object_list) == 25
        assert b"status=onboarding&amp;page=2" in first.content
        second = client.get("/partners/", {"status": "onboarding", "page": 2})
        assert _names(second) == [f"Paged {n}" for n in range(25, 30)]
        assert b"status=onboarding&amp;page=1" in second.content

    def test_htmx_gets_only_the_rows_and_the_pagination(self, cast, program):
        response = cast.client(cast.manager).get("/partners/", {"q": "alpha"},
                                                 HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b"Alpha Systems" in response.content
        assert b"/partners/export/?q=alpha" in response.content
        assert "HX-Request" in response["Vary"]

    def test_partner_people_and_strangers_get_404(self, cast):
        for membership in (cast.partner_admin, cast.partner_user):
            client = cast.client(membership)
            for path in ("/partners/", "/partners/export/", "/partners/new/"):
                assert client.get(path).status_code == 404, path
        anonymous = cast.client()
        assert anonymous.get("/partners/")["Location"].startswith("/accounts/login/")

    def test_admins_see_the_directory_too(self, mfa_admin):
        assert mfa_admin.client(mfa_admin.admin).get("/partners/").status_code == 200

    def test_query_count_does_not_grow_with_partners(self, cast, program):
        client = cast.client(cast.manager)
        client.get("/partners/")  # warm-up: content types and the like
        with CaptureQueriesContext(connection) as few:
            response = client.get("/partners/")
        assert len(response.context["page"].object_list) == 6
        managers = [MembershipFactory(tenant=cast.acme, role=Role.CHANNEL_MANAGER)
                    for _ in range(3)]
        with tenant_scope(cast.acme):
            tags = specialisations_by_name([f"Tag {n}" for n in range(5)])
        for n in range(40):
            tier = TierFactory(tenant=cast.acme, rank=100 + n)
            partner = PartnerFactory(tenant=cast.acme, tier=tier, manager=managers[n % 3])
            with tenant_scope(cast.acme):
                partner.specialisations.add(tags[n % 5])
        with CaptureQueriesContext(connection) as many:
            response = client.get("/partners/")
        assert len(response.context["page"].object_list) == 25
        # tenant, session, user, membership; the filter form's tiers, managers and
        # specialisations; the count and the page of partners (tier and manager joined).
        # Under the test's own transaction the tenant scope is nested, which adds a
        # savepoint, its release, and reading, setting and restoring the tenant setting.
        assert len(few) == len(many) == 14, [q["sql"][:60] for q in many.captured_queries]


class TestExport:
    def test_exports_the_filtered_list_with_a_header(self, cast, program):
        response = cast.client(cast.manager).get("/partners/export/", {"country": "FR",
                                                                       "sort": "name"})
        assert response.status_code == 200
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith(
            'attachment; filename="partners-acme-')
        rows = _rows(response)
        assert [row["domain"] for row in rows] == ["delta.example", "alpha.example"]
        alpha = rows[1]
        assert alpha["name"] == "Alpha Systems"
        assert (alpha["country"], alpha["partner_type"], alpha["tier"], alpha["status"],
                alpha["manager"]) == ("FR", "msp", "Gold", "active", "max@acme.test")
        assert alpha["specialisations"] == "Retail; Security"

    def test_no_filters_export_everything_and_a_header_when_empty(self, cast, program):
        client = cast.client(cast.manager)
        assert len(_rows(client.get("/partners/export/"))) == 6
        empty = client.get("/partners/export/", {"q": "nothing-like-this"})
        assert b"".join(empty.streaming_content).decode().splitlines() == [
            "name,domain,website,country,region,partner_type,tier,status,status_reason,"
            "manager,specialisations,created_at"]

    def test_cells_that_a_spreadsheet_would_run_are_escaped(self, cast, program):
        with tenant_scope(cast.acme):
            partner_transition(actor=None, partner=program["beta"], to_status=S.INACTIVE,
                               reason="+1 555 0100 @sales -ops")
        rows = {row["domain"]: row for row in _rows(
            cast.client(cast.manager).get("/partners/export/"))}
        assert rows["delta.example"]["name"] == "'=HYPERLINK(\"x\") Delta"
        assert rows["betacloud.example"]["status_reason"] == "'+1 555 0100 @sales -ops"
        assert rows["alpha.example"]["name"] == "Alpha Systems"

    def test_another_tenants_partners_are_not_exported(self, mfa_admin, program):
        PartnerFactory(tenant=mfa_admin.globex, name="Globex Partner", domain="globex.example")
        rows = _rows(mfa_admin.client(mfa_admin.other_admin).get("/partners/export/"))
        assert [row["domain"] for row in rows] == ["globex.example"]


class TestCreateAndEdit:
    def test_manager_adds_a_partner(self, cast, program):
        response = cast.client(cast.manager).post("/partners/new/", {
            "name": "Omega Works", "website": "https://www.Omega-Works.example/about",
            "domain": "", "country": "AT", "region": "emea", "partner_type": "technology",
            "tier": program["silver"].pk, "manager": cast.manager.pk,
            "specialisations": [program["security"].pk], "status": "onboarding"})
        with tenant_scope(cast.acme):
            partner = Partner.objects.get(name="Omega Works")
            assert response["Location"] == f"/partners/{partner.pk}/"
            assert (partner.domain, partner.tier, partner.manager, partner.status) == (
                "omega-works.example", program["silver"], cast.manager, "onboarding")
            assert [s.name for s in partner.specialisations.all()] == ["Security"]
            assert PartnerStatusChange.objects.filter(partner=partner,
                                                      to_status="onboarding").exists()

    def test_bad_input_shows_errors_and_adds_nothing(self, cast, program):
        before = _state(cast.acme)
        client = cast.client(cast.manager)
        duplicate = client.post("/partners/new/", {
            "name": "Copycat", "domain": "https://WWW.alpha.example/", "partner_type": "msp",
            "status": "approved"})
        assert duplicate.status_code == 200
        assert duplicate.context["form"].errors["domain"] == [
            "A partner with this domain is already in the program."]
        missing = client.post("/partners/new/", {"name": "", "partner_type": "spaceship",
                                                 "status": "declined"})
        assert set(missing.context["form"].errors) == {"name", "partner_type", "status"}
        assert _state(cast.acme) == before

    def test_manager_edits_a_partner(self, cast, program):
        alpha = program["alpha"]
        client = cast.client(cast.manager)
        page = client.get(f"/partners/{alpha.pk}/edit/")
        assert page.context["form"].initial["domain"] == "alpha.example"
        response = client.post(f"/partners/{alpha.pk}/edit/", {
            "name": "Alpha Systems AG", "website": "", "domain": "alpha.example",
            "country": "DE", "region": "emea", "partner_type": "msp", "tier": "",
            "manager": "", "specialisations": []})
        assert response["Location"] == f"/partners/{alpha.pk}/"
        with tenant_scope(cast.acme):
            alpha.refresh_from_db()
            assert (alpha.name, alpha.country.code, alpha.tier, alpha.manager) == (
                "Alpha Systems AG", "DE", None, None)
            assert not alpha.specialisations.exists()
            assert Event.objects.filter(verb="partner.updated").count() == 1

    def test_new_specialisations_are_made_in_the_form_and_matched_whatever_the_case(
            self, cast, program):
        from partners.models import Specialisation

        alpha = program["alpha"]
        client = cast.client(cast.manager)
        with tenant_scope(cast.acme):
            security, _created = Specialisation.objects.get_or_create(name="Security")
        response = client.post(f"/partners/{alpha.pk}/edit/", {
            "name": "Alpha", "domain": "alpha.example", "partner_type": "msp",
            "new_specialisations": "Cloud migration, security, , Cloud Migration"})
        assert response["Location"] == f"/partners/{alpha.pk}/"
        with tenant_scope(cast.acme):
            names = sorted(alpha.specialisations.values_list("name", flat=True))
            assert names == ["Cloud migration", "Security"]
            assert Specialisation.objects.filter(name__iexact="security").get() == security
        # Refused: the new tag is not left behind.
        before = _state(cast.acme)
        with tenant_scope(cast.acme):
            tags = Specialisation.objects.count()
        refused = client.post(f"/partners/{alpha.pk}/edit/", {
            "name": "Alpha", "domain": "gamma.example", "partner_type": "msp",
            "new_specialisations": "Quantum"})
        assert "domain" in refused.context["form"].errors
        assert _state(cast.acme) == before
        with tenant_scope(cast.acme):
            assert Specialisation.objects.count() == tags

    def test_edit_refuses_another_partners_domain(self, cast, program):
        before = _state(cast.acme)
        response = cast.client(cast.manager).post(f"/partners/{program['alpha'].pk}/edit/", {
            "name": "Alpha", "domain": "gamma.example", "partner_type": "msp"})
        assert response.status_code == 200
        assert "domain" in response.context["form"].errors
        assert _state(cast.acme) == before

    def test_partner_people_cannot_edit_even_their_own(self, cast):
        before = _state(cast.acme)
        client = cast.client(cast.partner_admin)
        path = f"/partners/{cast.northwind.pk}/edit/"
        assert client.get(path).status_code == 404
        assert client.post(path, {"name": "Hacked", "partner_type": "msp"}).status_code == 404
        assert _state(cast.acme) == before


class TestDetail:
    def test_vendor_people_see_any_partner(self, mfa_admin):
        cast = mfa_admin
        for membership in (cast.admin, cast.manager):
            for partner in (cast.northwind, cast.contoso):
                response = cast.client(membership).get(f"/partners/{partner.pk}/")
                assert response.status_code == 200
                assert partner.name.encode() in response.content
                assert f"/partners/{partner.pk}/edit/".encode() in response.content

    def test_partner_people_see_only_their_own_company(self, cast):
        own = cast.client(cast.partner_admin).get(f"/partners/{cast.northwind.pk}/")
        assert own.status_code == 200
        assert b"pat@northwind.test" in own.content
        assert b"/edit/" not in own.content
        assert b"/status/" not in own.content
        other = cast.client(cast.partner_admin).get(f"/partners/{cast.contoso.pk}/")
        assert other.status_code == 404
        assert cast.client(cast.partner_user).get(
            f"/partners/{cast.northwind.pk}/").status_code == 404

    def test_shows_company_tier_people_history_and_placeholders(self, cast, program):
        alpha = program["alpha"]
        with tenant_scope(cast.acme):
            program["gold"].benefits = "Market development funds"
            program["gold"].save()
            partner_transition(actor=cast.manager.user, partner=alpha, to_status=S.AT_RISK,
                               reason="No deals for 120 days")
        MembershipFactory(tenant=cast.acme, role=Role.PARTNER_USER, partner=alpha,
                          user__email="sam@alpha.example")
        response = cast.client(cast.manager).get(f"/partners/{alpha.pk}/")
        body = response.content.decode()
        for text in ("alpha.example", "France", "Managed service provider", "Retail, Security",
                     "Max Manager", "Gold", "Market development funds", "sam@alpha.example",
                     "No deals for 120 days", "At risk", "Deals", "Onboarding", "Health"):
            assert text in body, text
        assert [t["status"] for t in response.context["transitions"]] == ["active", "inactive"]


class TestTransitions:
    def test_an_allowed_move_changes_the_status_and_records_it(self, cast, program):
        beta = program["beta"]
        response = cast.client(cast.manager).post(f"/partners/{beta.pk}/status/", {
            "status": "active", "reason": "Two deals won"}, follow=True)
        assert response.redirect_chain == [(f"/partners/{beta.pk}/", 302)]
        assert "Beta Cloud is now Active." in response.content.decode()
        with tenant_scope(cast.acme):
            beta.refresh_from_db()
            change = PartnerStatusChange.objects.get(partner=beta)
        assert (beta.status, beta.status_reason) == ("active", "Two deals won")
        assert (change.from_status, change.to_status, change.actor) == (
            "at_risk", "active", cast.manager.user)

    def test_an_impossible_move_says_why_and_changes_nothing(self, cast, program):
        with tenant_scope(cast.acme):
            declined = PartnerFactory(tenant=cast.acme, name="Nope Inc", status=S.DECLINED)
        before = _state(cast.acme)
        response = cast.client(cast.manager).post(f"/partners/{declined.pk}/status/", {
            "status": "active"}, follow=True)
        assert "A partner that is Declined cannot become Active." in response.content.decode()
        assert _state(cast.acme) == before

    def test_a_stale_move_is_refused(self, cast, program):
        gamma = program["gamma"]  # onboarding: the page offers "active"
        with tenant_scope(cast.acme):
            partner_transition(actor=None, partner=gamma, to_status=S.INACTIVE, reason="Gone")
        before = _state(cast.acme)
        response = cast.client(cast.manager).post(f"/partners/{gamma.pk}/status/", {
            "status": "onboarding"}, follow=True)
        assert "A partner that is Inactive cannot become Onboarding." in (
            response.content.decode())
        assert _state(cast.acme) == before

    def test_some_moves_need_a_reason(self, cast, program):
        before = _state(cast.acme)
        response = cast.client(cast.manager).post(f"/partners/{program['alpha'].pk}/status/", {
            "status": "at_risk", "reason": "   "}, follow=True)
        assert "Give a reason." in response.content.decode()
        assert _state(cast.acme) == before

    def test_an_unknown_status_is_refused(self, cast, program):
        before = _state(cast.acme)
        response = cast.client(cast.manager).post(f"/partners/{program['alpha'].pk}/status/", {
            "status": "retired"}, follow=True)
        assert "Choose one of the statuses offered." in response.content.decode()
        assert _state(cast.acme) == before

    def test_partner_people_cannot_move_a_status(self, cast):
        before = _state(cast.acme)
        for membership in (cast.partner_admin, cast.partner_user):
            response = cast.client(membership).post(f"/partners/{cast.northwind.pk}/status/", {
                "status": "inactive", "reason": "Leaving"})
            assert response.status_code == 404
        assert _state(cast.acme) == before

    def test_another_tenants_admin_gets_404_for_our_partners(self, mfa_admin):
        cast = mfa_admin
        before = _state(cast.acme)
        client = cast.client(cast.other_admin)
        northwind = cast.northwind.pk
        assert client.get(f"/partners/{northwind}/").status_code == 404
        assert client.get(f"/partners/{northwind}/edit/").status_code == 404
        assert client.post(f"/partners/{northwind}/edit/", {
            "name": "Taken", "partner_type": "msp"}).status_code == 404
        assert client.post(f"/partners/{northwind}/status/", {
            "status": "inactive", "reason": "Taken"}).status_code == 404
        assert _state(cast.acme) == before

    def test_get_is_not_allowed(self, cast):
        assert cast.client(cast.manager).get(
            f"/partners/{cast.northwind.pk}/status/").status_code == 405


def test_detail_query_count_does_not_grow_with_history_or_people(cast, program):
    alpha = program["alpha"]
    client = cast.client(cast.manager)
    client.get(f"/partners/{alpha.pk}/")  # warm-up
    with CaptureQueriesContext(connection) as few:
        client.get(f"/partners/{alpha.pk}/")
    with tenant_scope(cast.acme):
        for _ in range(10):
            partner_transition(actor=cast.manager.user, partner=alpha, to_status=S.AT_RISK,
                               reason="Quiet")
            partner_transition(actor=cast.admin.user, partner=alpha, to_status=S.ACTIVE)
    for _ in range(8):
        MembershipFactory(tenant=cast.acme, role=Role.PARTNER_USER, partner=alpha)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/partners/{alpha.pk}/")
    assert len(response.context["history"]) == 20
    assert len(response.context["people"]) == 8
    # tenant, session, user, membership; the partner (tier and manager joined), its
    # specialisations, its people (users joined), its status history (actors joined).
    # Nested under the test's transaction: savepoint, release, and the tenant setting read,
    # set and restored.
    assert len(few) == len(many) == 13, [q["sql"][:60] for q in many.captured_queries]
