"""Deal registration, walked in a real browser: a partner registers a deal and sees the
duplicate hint, a channel manager approves it from the review queue, both sides comment on
it, and the partner closes it won."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import Deal, DealStatus
from deals.services import deal_approve, deal_submit
from prm.models import Role
from prm.tenancy import tenant_scope
from tests.conftest import _member
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_shell import sign_in
from tests.factories import DealStageFactory, PartnerFactory, ProductLineFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HINT = "A registration for this customer may already exist; it will be reviewed."


@pytest.fixture
def acme(portal):
    """Acme's program, and Contoso's approved registration of Initrode GmbH."""
    tenant = TenantFactory(slug="acme", name="Acme Corp", locale="en")
    cloud = ProductLineFactory(tenant=tenant, name="Cloud Suite")
    for rank, name in enumerate(["Qualify", "Propose", "Negotiate"], start=1):
        DealStageFactory(tenant=tenant, name=name, rank=rank)
    northwind = PartnerFactory(tenant=tenant, name="Northwind Traders", domain="northwind.test")
    contoso = PartnerFactory(tenant=tenant, name="Contoso Ltd", domain="contoso.test")
    manager = _member(tenant, "max@acme.test", Role.CHANNEL_MANAGER, "Max Manager")
    _member(tenant, "pat@northwind.test", Role.PARTNER_USER, "Pat Partner", northwind)
    paul = _member(tenant, "paul@contoso.test", Role.PARTNER_USER, "Paul Partner", contoso)
    with tenant_scope(tenant):
        existing, _ = deal_submit(
            member=paul, partner=contoso, customer_name="Initrode GmbH",
            customer_domain="initrode.example", customer_country="DE",
            product=cloud, amount=Decimal("80000"),
            currency="EUR", expected_close_date=timezone.localdate() + timedelta(days=45))
        deal_approve(member=manager, deal=existing)
    return tenant


def test_partner_registers_manager_approves_both_comment_partner_wins(page, browser, portal,
                                                                     acme):
    # Given a partner user signed in to acme's portal
    page.goto(portal.url("acme", "/"))
    sign_in(page, "pat@northwind.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Register a deal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a deal")
    # The heading shows while the page is still parsing; htmx wires the live hint once
    # the document is loaded, and an input typed before then asks nothing.
    page.wait_for_load_state("load")

    # When they type a customer that Contoso registered already
    page.get_by_label("Customer company name").fill("Initrode")

    # Then the form hints that a registration may exist, and says nothing of whose
    hint = page.locator("#deal-hint")
    expect(hint).to_have_attribute("aria-live", "polite")
    expect(hint).to_have_text(HINT)
    expect(hint).not_to_contain_text("Contoso")

    # When they fill in the rest and register the deal
    page.get_by_label("Customer company name").fill("Initrode AG")
    page.get_by_label("Customer domain").fill("https://www.initrode.de")
    page.get_by_label("Customer country").select_option(label="Germany")
    page.get_by_label("Contact name").fill("Ina Roe")
    page.get_by_label("Contact e-mail").fill("ina@initrode.de")
    page.get_by_label("Product line").select_option(label="Cloud Suite")
    page.get_by_label("Amount").fill("42000")
    page.get_by_label("Expected close date").fill(
        (timezone.localdate() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Register the deal").click()

    # Then they are on the deal's page: submitted, and flagged for review
    expect(page).to_have_url(re.compile(r"/deals/\d+/$"))
    deal_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Initrode AG")
    expect(page.locator(".deal-head .badge")).to_have_text("Submitted")
    expect(page.get_by_text("yours is flagged for review").first).to_be_visible()
    expect(page.get_by_text("Contoso")).to_have_count(0)

    # When a channel manager approves it from the review queue, in another browser context
    manager = browser.new_context(locale="en-GB")
    manager.set_default_timeout(TIMEOUT_MS)
    desk = manager.new_page()
    desk.goto(portal.url("acme", "/"))
    sign_in(desk, "max@acme.test")
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Review queue")
    item = desk.locator("li", has=desk.get_by_role("heading", name="Initrode AG"))
    expect(item.get_by_text("Contoso Ltd")).to_be_visible()  # the vendor sees the match
    item.get_by_role("button", name=re.compile(r"^Approve")).click()

    # Then the deal is approved, and the manager comments on it, mentioning the partner
    desk.goto(deal_url)
    expect(desk.locator(".deal-head .badge")).to_have_text("Approved")
    desk.get_by_label("Comment").fill("@pat@northwind.test Approved. Shall we plan the demo?")
    desk.get_by_role("button", name="Add comment").click()
    timeline = desk.locator("#timeline")
    expect(timeline).to_contain_text("Shall we plan the demo?")
    expect(desk.get_by_label("Comment")).to_have_value("")

    # When the partner opens the deal again, they see the comment and answer it
    page.reload()
    expect(page.locator(".deal-head .badge")).to_have_text("Approved")
    expect(page.locator("#timeline mark.mention")).to_have_text("@pat@northwind.test")
    page.get_by_label("Comment").fill("Yes: demo booked for Friday.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#timeline")).to_contain_text("Yes: demo booked for Friday.")
    desk.reload()
    expect(desk.locator("#timeline")).to_contain_text("Yes: demo booked for Friday.")
    manager.close()

    # When the partner closes it as won
    page.get_by_role("button", name="Close as won").click()

    # Then the deal shows Won
    expect(page.get_by_text("Congratulations: the deal is closed as won.")).to_be_visible()
    expect(page.locator(".deal-head .badge")).to_have_text("Won")
    with tenant_scope(acme):
        assert Deal.objects.get(customer_name="Initrode AG").status == DealStatus.WON
