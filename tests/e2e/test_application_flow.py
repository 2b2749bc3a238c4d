"""Recruitment, walked in a real browser: a company applies, a manager approves, and the
applicant joins as the new partner's admin."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from partners.models import Partner, PartnerApplication
from prm.events import deliver_pending
from prm.models import Membership, Role
from prm.tenancy import tenant_scope
from tests.conftest import _member
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_shell import sign_in
from tests.factories import TenantFactory, TierFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APPLICANT = "jane@tailwind.example"
NEW_PASSWORD = "Tailwind-joins-2026"


@pytest.fixture
def acme(portal):
    tenant = TenantFactory(slug="acme", name="Acme Corp", locale="en")
    TierFactory(tenant=tenant, name="Registered", rank=1)
    TierFactory(tenant=tenant, name="Gold", rank=2)
    _member(tenant, "max@acme.test", Role.CHANNEL_MANAGER, "Max Manager")
    return tenant


def _accept_link(portal) -> str:
    """The invitation link mailed to the applicant, on the live server's address."""
    [message] = [m for m in mail.outbox if m.to == [APPLICANT]]
    link = re.search(r"https?://\S+/invitations/accept/\S+/", message.body).group(0)
    return portal.url("acme", urlsplit(link).path)


def test_company_applies_manager_approves_and_applicant_joins(page, browser, portal, acme):
    # Given an anonymous visitor on acme's public application page
    page.goto(portal.url("acme", "/apply/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Become a partner of Acme Corp")

    # When they fill in the form and send it
    page.get_by_label("Company name").fill("Tailwind Traders")
    page.get_by_label("Company website").fill("https://www.tailwind.example")
    page.get_by_label("Country of your head office").select_option(label="Germany")
    page.get_by_label("How do you want to partner with us?").select_option(label="Reseller")
    page.get_by_label("Europe, Middle East and Africa").check()
    page.get_by_label("Specialisations").fill("Security, Cloud migration")
    page.get_by_label("Your name").fill("Jane Doe")
    page.get_by_label("Your e-mail address").fill(APPLICANT)
    page.get_by_label("Why do you want to partner with us?").fill(
        "We resell security software to 300 mid-market customers in Germany.")
    page.get_by_label("I agree that you store these details").check()
    page.get_by_role("button", name="Send application").click()

    # Then they are thanked, and the application waits for review
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for applying")
    with tenant_scope(acme):
        assert PartnerApplication.objects.get().status == PartnerApplication.Status.PENDING

    # When a channel manager signs in and approves it from the applications queue
    manager = browser.new_context(locale="en-GB")
    manager.set_default_timeout(TIMEOUT_MS)
    desk = manager.new_page()
    desk.goto(portal.url("acme", "/"))
    sign_in(desk, "max@acme.test")
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Partner applications")
    desk.get_by_role("link", name="Tailwind Traders").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        "Application from Tailwind Traders")
    expect(desk.get_by_label("Tier")).to_have_value(re.compile(r"\d+"))
    desk.get_by_role("button", name="Approve and invite").click()

    # Then the partner exists, and the manager is told who was invited
    expect(desk).to_have_url(re.compile(r"/partners/\d+/$"))
    expect(desk.get_by_text("Jane Doe (jane@tailwind.example) was invited as partner admin")
           ).to_be_visible()
    manager.close()
    with tenant_scope(acme):
        partner = Partner.objects.get(domain="tailwind.example")

    # When the outbox runs, the applicant gets the invitation; they open its link
    with tenant_scope(acme):
        deliver_pending()
    applicant = browser.new_context(locale="en-GB")
    applicant.set_default_timeout(TIMEOUT_MS)
    join = applicant.new_page()
    join.goto(_accept_link(portal))
    expect(join.get_by_role("heading", level=1)).to_have_text(
        "Join the Acme Corp partner portal")
    join.get_by_label("Full name").fill("Jane Doe")
    join.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    join.get_by_label("Password (again)").fill(NEW_PASSWORD)
    join.get_by_role("button", name="Create account and join").click()

    # Then they sign in as the new partner's admin and see the partner admin's home
    sign_in(join, APPLICANT, NEW_PASSWORD)
    expect(join).to_have_url(portal.url("acme", "/home/"))
    expect(join.get_by_role("heading", level=1)).to_have_text("Welcome, Jane")
    expect(join.get_by_role("heading", name="Your team")).to_be_visible()
    nav = join.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My team")).to_be_visible()
    applicant.close()
    with tenant_scope(acme):
        membership = Membership.objects.get(user__email=APPLICANT)
    assert (membership.role, membership.partner_id) == (Role.PARTNER_ADMIN, partner.pk)
