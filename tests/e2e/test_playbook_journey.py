"""Playbooks, walked in a real browser: a tenant admin edits a stage of the published
playbook in a draft, reviews the diff and publishes it; a partner user acknowledges the new
version, the admin sees who did, and the partner's deal page shows the new checklist and the
talk track filled in with the deal's customer."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from playbooks.models import PlaybookAcknowledgement
from prm.tenancy import tenant_scope
from tests.deals.conftest import program  # noqa: F401 - a fixture of `book`
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_shell import sign_in
from tests.playbooks.conftest import book  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # the admins' secret, from mfa_admin in tests/conftest.py
PLAYBOOK = "New logo — mid-market"
CUSTOMER = "Umbrella Logistics GmbH"
ACTIVITY = "Book the security architecture workshop"
TALK_TRACK = "Ask {{ customer.name }} which systems the workshop must cover."
SPOKEN = f"Ask {CUSTOMER} which systems the workshop must cover."
CHANGE_NOTE = "Qualify: the security workshop is required now."


@pytest.fixture
def deal(portal, book, mfa_admin, settings):  # noqa: F811 - the fixture imported above
    """Contoso's deal in the first stage of the cast's program, whose playbook (``book``)
    is published in version 1."""
    # A code typed in the last instant of its 30-second step must still count, or the
    # admin's sign-in would fail now and then: allow the steps either side.
    settings.MFA_TOTP_TOLERANCE = 1
    deal, _ = book.program.submit(member=book.cast.partner_user, customer_name=CUSTOMER,
                                  customer_domain="umbrella-logistics.example",
                                  contact_name="Uma Brell")
    assert deal.stage == book.program.stages[0]
    return deal


def _totp_code() -> str:
    step = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(TOTP_SECRET, step))


def sign_in_with_totp(page: Page, email: str) -> None:
    """The password, then the authenticator code that a tenant admin's account asks for."""
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_label("Code").fill(_totp_code())
    page.get_by_role("button", name="Sign In").click()


def test_admin_publishes_a_stage_partner_acknowledges_and_deal_shows_it(
        page, browser, portal, book, deal):  # noqa: F811 - the fixture imported above
    deal_url = portal.url("acme", f"/deals/{deal.pk}/")

    # Given a partner user on their deal page, where the playbook panel shows version 1
    page.goto(deal_url)
    sign_in(page, "paul@contoso.test")
    expect(page).to_have_url(deal_url)
    panel = page.get_by_role("region", name="Playbook: Qualify")
    expect(panel.get_by_role("link", name=f"{PLAYBOOK}, version 1")).to_be_visible()
    expect(panel.get_by_role("list", name="Checklist").get_by_role("listitem")).to_have_count(3)
    expect(panel).not_to_contain_text(ACTIVITY)

    # When the tenant admin signs in (password and authenticator code) in another browser
    # context, and opens the playbook
    admin = browser.new_context(locale="en-GB")
    admin.set_default_timeout(TIMEOUT_MS)
    desk = admin.new_page()
    desk.goto(portal.url("acme", "/"))
    sign_in_with_totp(desk, "ada@acme.test")
    expect(desk).to_have_url(portal.url("acme", "/home/"))
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Playbooks").click()
    desk.get_by_role("link", name=PLAYBOOK).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(PLAYBOOK)
    expect(desk.locator(".playbook-meta .badge")).to_have_text("Version 1")

    # And starts a draft
    desk.get_by_role("button", name="Edit: start a new draft").click()
    expect(desk).to_have_url(re.compile(rf"/playbooks/{book.playbook.pk}/draft/$"))
    expect(desk.get_by_text("Draft started from the published version.")).to_be_visible()
    expect(desk.locator(".playbook-meta .badge")).to_have_text("Draft of version 2")
    desk.wait_for_load_state("load")  # the stage editor saves through htmx

    # And rewrites the Qualify stage's talk track around the customer's name
    stage = desk.get_by_role("region", name="Qualify", exact=True)
    stage.get_by_label("Talk track").fill(TALK_TRACK)
    stage.get_by_role("button", name="Save stage Qualify").click()
    expect(stage.locator(".stage-editor-status")).to_have_text("Stage “Qualify” saved.")
    expect(stage.get_by_label("Talk track")).to_have_value(TALK_TRACK)

    # And adds a required activity to the stage's checklist
    add = stage.locator("form", has=desk.get_by_role("button", name="Add activity to Qualify"))
    add.get_by_label("Activity", exact=True).fill(ACTIVITY)
    add.get_by_label("Required").check()
    add.get_by_role("button", name="Add activity to Qualify").click()
    expect(stage.locator(".stage-editor-status")).to_have_text(f"Activity “{ACTIVITY}” added.")
    expect(stage.get_by_label("Activity 4", exact=True)).to_have_value(ACTIVITY)
    expect(stage.get_by_label("Activity", exact=True)).to_have_value("")

    # Then the diff lists exactly that: the talk track's lines and the new activity
    desk.get_by_role("link", name="Review changes and publish").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("What changes with version 2")
    changed = desk.get_by_role("region", name="Qualify", exact=True)
    expect(changed.locator("ins")).to_have_text(f"added: + {TALK_TRACK}")
    expect(changed.locator("del")).to_contain_text("removed: - Hello {{ contact.name }}")
    added = changed.locator("li.activity-added")
    expect(added).to_have_count(1)
    expect(added).to_contain_text(ACTIVITY)
    expect(added).to_contain_text("required")
    for untouched in ("Discover", "Propose", "Negotiate"):
        expect(desk.get_by_role("region", name=untouched, exact=True)).to_have_count(0)

    # When they publish it with a note
    desk.get_by_label("What changed").fill(CHANGE_NOTE)
    desk.get_by_role("button", name="Publish", exact=True).click()

    # Then version 2 is the published one, and no partner person has acknowledged it yet
    expect(desk).to_have_url(portal.url("acme", f"/playbooks/{book.playbook.pk}/"))
    expect(desk.get_by_text("Version 2 is published.")).to_be_visible()
    expect(desk.locator(".playbook-meta .badge")).to_have_text("Version 2")
    acks = desk.get_by_role("region", name="Who has acknowledged this version")
    expect(acks).to_contain_text("0 of 3 partner people have acknowledged it.")

    # When the partner opens the playbook, they are asked to acknowledge the new version
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playbooks").click()
    page.get_by_role("link", name=PLAYBOOK).click()
    expect(page.locator(".playbook-meta .badge")).to_have_text("Version 2")
    ask = page.get_by_role("region", name="Please read and acknowledge this version")
    expect(ask).to_contain_text(f"What changed: {CHANGE_NOTE}")
    qualify = page.get_by_role("region", name="1 Qualify")
    expect(qualify.get_by_role("listitem").filter(has_text=ACTIVITY)).to_contain_text("required")
    expect(page.get_by_role("region", name="Who has acknowledged this version")).to_have_count(0)

    # And they acknowledge it
    ask.get_by_role("button", name="Acknowledge this version").click()

    # Then the page thanks them and asks no more
    expect(page.get_by_text("Thank you: you have acknowledged version 2.")).to_be_visible()
    expect(page.get_by_role("region", name="You have acknowledged this version")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge this version")).to_have_count(0)
    with tenant_scope(book.cast.acme):
        [acknowledgement] = PlaybookAcknowledgement.objects.filter(
            membership=book.cast.partner_user)
        assert acknowledgement.version.number == 2

    # And the admin sees them among those who acknowledged, and the others not yet
    desk.reload()
    acks = desk.get_by_role("region", name="Who has acknowledged this version")
    expect(acks).to_contain_text("1 of 3 partner people have acknowledged it.")
    expect(acks.get_by_role("row").filter(has_text="paul@contoso.test")).to_contain_text("yes")
    expect(acks.get_by_role("row").filter(has_text="pat@northwind.test")
           ).to_contain_text("not yet")
    admin.close()

    # When the partner opens their deal again
    page.goto(deal_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(CUSTOMER)

    # Then its playbook panel shows version 2: the new activity to tick off, and the talk
    # track with this deal's customer filled in
    panel = page.get_by_role("region", name="Playbook: Qualify")
    expect(panel.get_by_role("link", name=f"{PLAYBOOK}, version 2")).to_be_visible()
    expect(panel.get_by_text("New version: please read and acknowledge")).to_have_count(0)
    items = panel.get_by_role("list", name="Checklist").get_by_role("listitem")
    expect(items).to_have_count(4)
    expect(items.last).to_contain_text(ACTIVITY)
    expect(items.last).to_contain_text("required")
    expect(panel.get_by_role("button", name=f"Done: {ACTIVITY}")).to_be_visible()
    expect(panel.locator(".talk-track")).to_have_text(SPOKEN)
    expect(panel.locator(".talk-track .talk-var-filled")).to_have_text(CUSTOMER)
    expect(panel.locator(".open-required")).to_contain_text(ACTIVITY)
