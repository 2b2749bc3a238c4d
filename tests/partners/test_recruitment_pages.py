"""Recruitment in the portal: the public application page, the review queue, approve, decline."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import Partner, PartnerApplication, PartnerStatus, Specialisation
from partners.services import application_submit
from prm.events import deliver_pending
from prm.models import Event, Invitation, Role
from prm.tenancy import tenant_scope
from tests.conftest import _member, tenant_client
from tests.factories import TierFactory

APPLICATION = {
    "company_name": "Tailwind Traders",
    "website": "https://www.Tailwind.example/about",
    "country": "DE",
    "partner_type": "reseller",
    "regions": ["emea", "apac"],
    "other_specialisations": "Security, Cloud migration",
    "contact_name": "Jane Doe",
    "contact_email": "Jane@tailwind.example",
    "contact_phone": "+49 30 1234567",
    "message": "We resell security software to 300 mid-market customers in Germany.",
    "consent": "on",
}


def _applications(tenant):
    with tenant_scope(tenant):
        return list(PartnerApplication.objects.order_by("pk"))


def _events(tenant, verb):
    with tenant_scope(tenant):
        return Event.objects.filter(verb=verb).count()


def _apply(cast, tenant=None, **data):
    """An application stored through the service, as the page would."""
    fields = {
        "company_name": "Fabrikam", "website": "fabrikam.example", "country": "FR",
        "partner_type": "msp", "regions": ["emea"], "specialisations": ["Security"],
        "contact_name": "Jane Doe", "contact_email": "jane@fabrikam.example",
        "message": "We run the IT of 80 hospitals and want to offer your product.",
    } | data
    with tenant_scope(tenant or cast.acme):
        return application_submit(**fields)


class TestApplicationPage:
    def test_anyone_can_open_it_and_it_names_the_program(self, cast):
        with tenant_scope(cast.acme):
            Specialisation.objects.create(name="Healthcare")
        response = tenant_client(cast.acme).get("/apply/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "Become a partner of Acme Corp" in body
        assert 'value="Healthcare"' in body
        # The honeypot: hidden from sight and from the keyboard, labelled for humans.
        assert 'name="fax_number"' in body
        assert 'tabindex="-1"' in body
        assert "Leave this field empty" in body

    def test_a_tenant_admin_without_totp_is_not_sent_to_set_it_up(self, cast):
        # The page is public: anonymous visitors never meet the MFA rule.
        response = tenant_client(cast.acme).get("/apply/")
        assert response.status_code == 200
        assert "/accounts/2fa/" not in response.content.decode()

    def test_valid_application_is_stored_once_and_recorded(self, cast):
        response = tenant_client(cast.acme).post("/apply/", APPLICATION)
        assert response.status_code == 302
        assert response["Location"] == "/apply/done/"
        [application] = _applications(cast.acme)
        assert application.company_name == "Tailwind Traders"
        assert application.domain == "tailwind.example"
        assert application.regions == ["apac", "emea"]
        assert application.specialisations == ["Security", "Cloud migration"]
        assert application.contact_email == "jane@tailwind.example"
        assert application.status == PartnerApplication.Status.PENDING
        assert application.existing_partner is None
        assert _events(cast.acme, "application.submitted") == 1
        assert _applications(cast.globex) == []

    def test_thank_you_page_promises_an_answer(self, cast):
        response = tenant_client(cast.acme).get("/apply/done/")
        assert response.status_code == 200
        assert "get back to you" in response.content.decode()

    def test_chosen_and_other_specialisations_are_merged(self, cast):
        with tenant_scope(cast.acme):
            Specialisation.objects.create(name="Healthcare")
        data = APPLICATION | {"specialisations": ["Healthcare"],
                              "other_specialisations": "healthcare, Retail"}
        assert tenant_client(cast.acme).post("/apply/", data).status_code == 302
        assert _applications(cast.acme)[0].specialisations == ["Healthcare", "Retail"]

    @pytest.mark.parametrize(("field", "value"), [
        ("company_name", ""),
        ("website", ""),
        ("website", "not a website"),
        ("website", "jane@tailwind.example"),
        ("country", "XX"),
        ("partner_type", "friend"),
        ("regions", []),
        ("regions", ["mars"]),
        ("contact_name", ""),
        ("contact_email", "jane-at-example"),
        ("contact_phone", "call me maybe"),
        ("message", "Because."),
        ("consent", ""),
    ])
    def test_missing_or_invalid_field_shows_its_error_and_stores_nothing(self, cast, field,
                                                                        value):
        response = tenant_client(cast.acme).post("/apply/", APPLICATION | {field: value})
        assert response.status_code == 200
        assert list(response.context["form"].errors) == [field]
        body = response.content.decode()
        assert 'aria-invalid="true"' in body
        # The summary above the form links to the field.
        assert f'href="#{response.context["form"][field].auto_id}"' in body
        assert _applications(cast.acme) == []
        assert _events(cast.acme, "application.submitted") == 0

    @pytest.mark.parametrize("website", ["gmail.com", "https://www.web.de/", "http://GMX.net"])
    def test_a_free_mail_provider_is_no_company_website(self, cast, website):
        response = tenant_client(cast.acme).post("/apply/", APPLICATION | {"website": website})
        assert response.status_code == 200
        assert "e-mail provider" in response.context["form"].errors["website"][0]
        assert _applications(cast.acme) == []

    def test_filled_honeypot_is_thanked_but_stored_nowhere(self, cast):
        response = tenant_client(cast.acme).post(
            "/apply/", APPLICATION | {"fax_number": "+1 555 0100"})
        assert response.status_code == 302
        assert response["Location"] == "/apply/done/"
        assert _applications(cast.acme) == []
        assert _events(cast.acme, "application.submitted") == 0

    def test_sixth_application_within_the_hour_from_one_address_is_refused(self, cast):
        client = tenant_client(cast.acme)
        for n in range(5):
            data = APPLICATION | {"company_name": f"Company {n}"}
            assert client.post("/apply/", data, REMOTE_ADDR="203.0.113.7").status_code == 302
        response = client.post("/apply/", APPLICATION | {"company_name": "Company 6"},
                               REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 429
        assert "try again later" in response.content.decode()
        assert len(_applications(cast.acme)) == 5
        # Another address, and the same address on another program's page, still get in.
        assert client.post("/apply/", APPLICATION, REMOTE_ADDR="203.0.113.8").status_code == 302
        other = tenant_client(cast.globex).post("/apply/", APPLICATION,
                                                REMOTE_ADDR="203.0.113.7")
        assert other.status_code == 302
        assert len(_applications(cast.acme)) == 6
        assert len(_applications(cast.globex)) == 1

    def test_behind_a_proxy_the_limit_counts_the_forwarded_client(self, cast, settings):
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
        client = tenant_client(cast.acme)
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        for n in range(5):
            data = APPLICATION | {"company_name": f"Company {n}"}
            assert client.post("/apply/", data, HTTP_X_FORWARDED_FOR="203.0.113.7",
                               **proxy).status_code == 302
        assert client.post("/apply/", APPLICATION, HTTP_X_FORWARDED_FOR="203.0.113.7",
                           **proxy).status_code == 429
        # The proxy's own address is not the client: another one behind it still gets in.
        assert client.post("/apply/", APPLICATION, HTTP_X_FORWARDED_FOR="198.51.100.4",
                           **proxy).status_code == 302

    def test_invalid_attempts_do_not_use_up_the_limit(self, cast):
        client = tenant_client(cast.acme)
        for _ in range(6):
            client.post("/apply/", APPLICATION | {"message": ""}, REMOTE_ADDR="203.0.113.9")
        assert client.post("/apply/", APPLICATION, REMOTE_ADDR="203.0.113.9").status_code == 302

    def test_a_known_domain_is_stored_and_flagged(self, cast):
        data = APPLICATION | {"website": "http://www.northwind.test/contact"}
        assert tenant_client(cast.acme).post("/apply/", data).status_code == 302
        [application] = _applications(cast.acme)
        assert application.existing_partner_id == cast.northwind.pk
        with tenant_scope(cast.acme):
            assert Partner.objects.filter(domain="northwind.test").count() == 1

    def test_the_outbox_tells_managers_and_admins(self, cast):
        tenant_client(cast.acme).post("/apply/", APPLICATION)
        [application] = _applications(cast.acme)
        with tenant_scope(cast.acme):
            assert deliver_pending() == 1
        assert sorted(m.to[0] for m in mail.outbox) == ["ada@acme.test", "max@acme.test"]
        message = mail.outbox[0]
        assert message.subject == "New partner application from Tailwind Traders"
        assert f"http://acme.localhost/partners/applications/{application.pk}/" in message.body
        assert "We resell security software" in message.body

    def test_the_managers_mail_speaks_the_programs_language(self, cast):
        cast.acme.locale = "de"
        cast.acme.save(update_fields=["locale"])
        _apply(cast, company_name="Fabrikam")
        with tenant_scope(cast.acme):
            deliver_pending()
        assert mail.outbox[0].subject == "Neue Partnerbewerbung von Fabrikam"


class TestQueue:
    def test_managers_see_pending_applications_oldest_first(self, cast):
        first = _apply(cast, company_name="First Ltd", website="first.example")
        second = _apply(cast, company_name="Second Ltd", website="second.example")
        _apply(cast, tenant=cast.globex, company_name="Globex Applicant")
        response = cast.client(cast.manager).get("/partners/applications/")
        assert response.status_code == 200
        assert [a.pk for a in response.context["page"].object_list] == [first.pk, second.pk]
        body = response.content.decode()
        assert body.index("First Ltd") < body.index("Second Ltd")
        assert "Globex Applicant" not in body

    def test_known_partner_is_badged_with_a_link_to_it(self, cast):
        _apply(cast, website="https://northwind.test")
        body = cast.client(cast.manager).get("/partners/applications/").content.decode()
        assert "Known partner" in body
        assert f'href="/partners/{cast.northwind.pk}/"' in body

    def test_tabs_show_approved_and_declined(self, cast):
        pending = _apply(cast, company_name="Waiting Ltd", website="waiting.example")
        declined = _apply(cast, company_name="Declined Ltd", website="declined.example")
        client = cast.client(cast.manager)
        client.post(f"/partners/applications/{declined.pk}/decline/", {"note": "Not now."})
        response = client.get("/partners/applications/?status=declined")
        assert [a.pk for a in response.context["page"].object_list] == [declined.pk]
        response = client.get("/partners/applications/")
        assert [a.pk for a in response.context["page"].object_list] == [pending.pk]
        response = client.get("/partners/applications/?status=approved")
        assert list(response.context["page"].object_list) == []

    def test_admins_review_too(self, mfa_admin):
        _apply(mfa_admin)
        assert mfa_admin.client(mfa_admin.admin).get(
            "/partners/applications/").status_code == 200

    def test_query_count_does_not_grow_with_the_applications(self, cast):
        client = cast.client(cast.manager)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/partners/applications/").status_code == 200
            return len(captured)

        queries()  # the first visit binds the session to the tenant (one write)
        for n in range(2):
            _apply(cast, company_name=f"Few {n}", website=f"few{n}.example")
        few = queries()
        for n in range(20):
            _apply(cast, company_name=f"Many {n}", website=f"many{n}.example"
                   if n % 2 else "https://northwind.test")
        assert queries() == few
        assert few == 11


class TestDetail:
    def test_shows_everything_the_applicant_wrote(self, cast):
        application = _apply(cast, website="https://northwind.test", contact_phone="+33 1 23")
        response = cast.client(cast.manager).get(f"/partners/applications/{application.pk}/")
        assert response.status_code == 200
        body = response.content.decode()
        for text in ("Fabrikam", "northwind.test", "France", "Managed service provider",
                     "Europe, Middle East and Africa", "Security", "Jane Doe",
                     "jane@fabrikam.example", "+33 1 23", "We run the IT of 80 hospitals",
                     "Known partner", f'href="/partners/{cast.northwind.pk}/"'):
            assert text in body, text

    def test_approve_creates_the_partner_and_invites_the_applicant(self, cast):
        entry = TierFactory(tenant=cast.acme, name="Registered", rank=1)
        TierFactory(tenant=cast.acme, name="Gold", rank=2)
        application = _apply(cast)
        client = cast.client(cast.manager)
        form = client.get(f"/partners/applications/{application.pk}/").context["approve_form"]
        assert form.initial["tier"] == entry
        assert form.initial["manager"] == cast.manager.pk

        response = client.post(f"/partners/applications/{application.pk}/approve/", {
            "tier": entry.pk, "manager": cast.manager.pk, "note": "Strong healthcare reach"})

        with tenant_scope(cast.acme):
            partner = Partner.objects.get(domain="fabrikam.example")
            invitation = Invitation.objects.get(email="jane@fabrikam.example")
            application.refresh_from_db()
        assert response.status_code == 302
        assert response["Location"] == f"/partners/{partner.pk}/"
        assert (partner.status, partner.tier_id, partner.manager_id) == (
            PartnerStatus.APPROVED, entry.pk, cast.manager.pk)
        assert (invitation.role, invitation.partner_id) == (Role.PARTNER_ADMIN, partner.pk)
        assert (application.status, application.partner_id) == ("approved", partner.pk)
        [message] = [str(m) for m in response.wsgi_request._messages]
        assert "Fabrikam is now a partner; Jane Doe" in message
        assert "invited as partner admin" in message

    def test_a_second_approval_changes_nothing(self, cast):
        application = _apply(cast)
        client = cast.client(cast.manager)
        client.post(f"/partners/applications/{application.pk}/approve/", {})
        before = _events(cast.acme, "partner.created")
        response = client.post(f"/partners/applications/{application.pk}/approve/", {},
                               follow=True)
        assert "already been reviewed" in response.content.decode()
        assert _events(cast.acme, "partner.created") == before == 1

    def test_approving_a_known_domain_is_refused(self, cast):
        application = _apply(cast, website="northwind.test")
        response = cast.client(cast.manager).post(
            f"/partners/applications/{application.pk}/approve/", {}, follow=True)
        assert response.redirect_chain[-1][0] == f"/partners/applications/{application.pk}/"
        assert "already in the program" in response.content.decode()
        with tenant_scope(cast.acme):
            application.refresh_from_db()
            assert Partner.objects.filter(domain="northwind.test").count() == 1
            assert not Invitation.objects.exists()
        assert application.status == PartnerApplication.Status.PENDING

    def test_a_tier_of_another_tenant_is_not_a_choice(self, cast):
        foreign = TierFactory(tenant=cast.globex, rank=1)
        application = _apply(cast)
        response = cast.client(cast.manager).post(
            f"/partners/applications/{application.pk}/approve/", {"tier": foreign.pk})
        assert response.status_code == 200
        assert "tier" in response.context["approve_form"].errors
        assert _applications(cast.acme)[0].status == PartnerApplication.Status.PENDING

    def test_decline_needs_a_note(self, cast):
        application = _apply(cast)
        response = cast.client(cast.manager).post(
            f"/partners/applications/{application.pk}/decline/", {"note": "  "})
        assert response.status_code == 200
        assert "note" in response.context["decline_form"].errors
        assert _applications(cast.acme)[0].status == PartnerApplication.Status.PENDING
        assert _events(cast.acme, "application.declined") == 0

    def test_decline_mails_the_note_to_the_applicant(self, cast):
        application = _apply(cast)
        with tenant_scope(cast.acme):
            deliver_pending()  # the managers' notice of the application
        mail.outbox.clear()
        response = cast.client(cast.manager).post(
            f"/partners/applications/{application.pk}/decline/",
            {"note": "We already have two MSPs in France."})
        assert response.status_code == 302
        assert response["Location"] == "/partners/applications/"
        assert _applications(cast.acme)[0].status == PartnerApplication.Status.DECLINED
        assert mail.outbox == []  # only after commit, through the outbox
        with tenant_scope(cast.acme):
            assert deliver_pending() == 1
        [message] = mail.outbox
        assert message.to == ["jane@fabrikam.example"]
        assert message.subject == "Your application to the Acme Corp partner program"
        assert "We already have two MSPs in France." in message.body
        assert "Jane Doe" in message.body


class TestOutsiders:
    @pytest.mark.parametrize("who", ["partner_admin", "partner_user"])
    def test_partner_roles_get_404_everywhere_and_change_nothing(self, cast, who):
        application = _apply(cast)
        client = cast.client(getattr(cast, who))
        base = f"/partners/applications/{application.pk}/"
        assert client.get("/partners/applications/").status_code == 404
        assert client.get(base).status_code == 404
        assert client.post(base + "approve/", {}).status_code == 404
        assert client.post(base + "decline/", {"note": "no"}).status_code == 404
        assert _applications(cast.acme)[0].status == PartnerApplication.Status.PENDING

    def test_anonymous_visitors_are_sent_to_sign_in(self, cast):
        application = _apply(cast)
        client = tenant_client(cast.acme)
        for path in ("/partners/applications/", f"/partners/applications/{application.pk}/"):
            response = client.get(path)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")

    def test_another_tenants_application_is_404(self, mfa_admin):
        application = _apply(mfa_admin)
        other_manager = _member(mfa_admin.globex, "gina@globex.test", Role.CHANNEL_MANAGER,
                                "Gina Globex")
        for member in (mfa_admin.other_admin, other_manager):
            client = mfa_admin.client(member)
            base = f"/partners/applications/{application.pk}/"
            assert client.get(base).status_code == 404
            assert client.post(base + "approve/", {}).status_code == 404
            assert client.post(base + "decline/", {"note": "x"}).status_code == 404
        assert _applications(mfa_admin.acme)[0].status == PartnerApplication.Status.PENDING
