"""The live language check, in a real browser: as a partner types a timeline comment on
a deal, the discouraged word is shown with the program's preferred one, and one click
puts the preferred word in its place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from playbooks.glossary import discouraged_add, term_create
from prm.tenancy import tenant_scope
from tests.deals.conftest import program  # noqa: F401 - a fixture
from tests.e2e.test_shell import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deal(portal, program):  # noqa: F811 - the fixture imported above
    with tenant_scope(program.cast.acme):
        term = term_create(actor=None, name="registered opportunity",
                           definition="A deal a partner registered and we approved.")
        discouraged_add(actor=None, term=term, phrase="lead",
                        reason="Once registered, it is an opportunity.")
    deal, _ = program.submit(member=program.cast.partner_user)
    return deal


def test_partner_sees_the_discouraged_word_and_replaces_it_in_one_click(page, portal, deal):
    url = portal.url("acme", f"/deals/{deal.pk}/")
    page.goto(url)
    sign_in(page, "paul@contoso.test")
    expect(page).to_have_url(url)

    comment = page.get_by_label("Comment", exact=True)
    comment.fill("Our Lead is keen on a pilot.")
    fix = page.get_by_role("button", name="Use “registered opportunity” instead of “Lead”")
    expect(fix).to_be_visible()
    expect(page.get_by_text("Once registered, it is an opportunity.")).to_be_visible()

    fix.click()
    expect(comment).to_have_value("Our Registered opportunity is keen on a pilot.")
    expect(fix).to_be_hidden()
