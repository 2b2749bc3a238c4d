"""The portal's shell, walked in a real browser: sign in, home per role, language, sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from prm.models import Role
from tests.conftest import _member
from tests.factories import TEST_PASSWORD, PartnerFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGN_IN_PATH = re.compile(r"/accounts/login/")
# From locale/de/LC_MESSAGES/django.po.
GERMAN = {
    "Main": "Hauptnavigation",
    "Home": "Start",
    "Lead routing": "Lead-Verteilung",
    "Sign out": "Abmelden",
    "Register a deal": "Deal registrieren",
    "Welcome, Max": "Willkommen, Max",
    "Sign in to Acme Corp": "Bei Acme Corp anmelden",
}


@pytest.fixture
def acme(portal):
    tenant = TenantFactory(slug="acme", name="Acme Corp", locale="en")
    contoso = PartnerFactory(tenant=tenant, name="Contoso Ltd", domain="contoso.test")
    return {
        "tenant": tenant,
        "manager": _member(tenant, "max@acme.test", Role.CHANNEL_MANAGER, "Max Manager"),
        "partner_user": _member(tenant, "paul@contoso.test", Role.PARTNER_USER,
                                "Paul Partner", contoso),
    }


def sign_in(page: Page, email: str, password: str = TEST_PASSWORD) -> None:
    expect(page).to_have_url(SIGN_IN_PATH)
    form = page.locator("form", has=page.get_by_label("Password", exact=True))
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in", exact=False).click()


def test_channel_manager_signs_in_switches_to_german_and_signs_out(page, portal, acme):
    # Given a channel manager of acme who is not signed in
    page.goto(portal.url("acme", "/"))

    # When they sign in on the sign-in page they were sent to
    expect(page).to_have_url(SIGN_IN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Acme Corp")
    sign_in(page, "max@acme.test")

    # Then they land on the channel manager's home
    expect(page).to_have_url(portal.url("acme", "/home/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Max")
    expect(page.get_by_role("heading", name="Registrations waiting for review")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # When they choose German in the header's language switch
    switch = page.locator("header form", has=page.get_by_label("Language"))
    with page.expect_navigation():  # the switch submits itself when JavaScript runs
        switch.get_by_label("Language").select_option("de")

    # Then the portal speaks German, on the same page
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(portal.url("acme", "/home/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(GERMAN["Welcome, Max"])
    nav = page.get_by_role("navigation", name=GERMAN["Main"])
    expect(nav.get_by_role("link", name=GERMAN["Home"], exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=GERMAN["Lead routing"])).to_be_visible()

    # When they sign out from the account menu
    page.locator("header details.user-menu summary").click()
    page.get_by_role("button", name=GERMAN["Sign out"]).click()
    if "/accounts/logout/" in page.url:  # allauth's confirmation page, if shown
        page.get_by_role("button", name=GERMAN["Sign out"]).click()

    # Then they are back on the sign-in page, still in German, and home is closed to them
    expect(page).to_have_url(SIGN_IN_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(GERMAN["Sign in to Acme Corp"])
    page.goto(portal.url("acme", "/home/"))
    expect(page).to_have_url(SIGN_IN_PATH)
    expect(page.get_by_role("link", name=GERMAN["Home"], exact=True)).to_have_count(0)


@pytest.mark.parametrize("page", [False], indirect=True, ids=["without-javascript"])
def test_partner_user_signs_in_to_their_home_without_javascript(page, portal, acme):
    # Given a partner user of acme, in a browser with JavaScript off
    page.goto(portal.url("acme", "/home/"))

    # When they sign in
    sign_in(page, "paul@contoso.test")

    # Then they see the partner user's home, not the vendor's
    expect(page).to_have_url(portal.url("acme", "/home/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Paul")
    expect(page.get_by_role("heading", name="Register a deal")).to_be_visible()
    expect(page.get_by_role("heading", name="Leads waiting for you")).to_be_visible()
    expect(page.get_by_role("heading", name="Registrations waiting for review")).to_have_count(0)

    # And the language switch works with its button alone
    switch = page.locator("header form", has=page.get_by_label("Language"))
    switch.get_by_label("Language").select_option("de")
    switch.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name=GERMAN["Register a deal"])).to_be_visible()

