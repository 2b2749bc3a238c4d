"""The program's language where people write about deals: notes and timeline entries are
checked live on the pages, and refused when the program says findings block saving."""

from __future__ import annotations

import pytest

from deals.models import Deal, TimelineEntry
from playbooks.glossary import discouraged_add, term_create
from prm.errors import InvalidInput
from prm.tenancy import tenant_scope


@pytest.fixture
def glossary(program):
    acme = program.cast.acme
    with tenant_scope(acme):
        term = term_create(actor=None, name="registered opportunity",
                           definition="A deal a partner registered and we approved.")
        discouraged_add(actor=None, term=term, phrase="lead",
                        reason="Once registered, it is an opportunity.")
    return term


def _blocking(program, blocks: bool = True) -> None:
    acme = program.cast.acme
    acme.language_check_blocks = blocks
    acme.save(update_fields=["language_check_blocks"])


def _counts(program) -> tuple[int, int]:
    with tenant_scope(program.cast.acme):
        return Deal.objects.count(), TimelineEntry.objects.count()


def test_warn_only_saves_notes_and_comments_with_discouraged_words(program, glossary):
    deal, _ = program.submit(notes="A hot lead from the fair")
    client = program.cast.client(program.cast.partner_admin)
    response = client.post(f"/api/v1/deals/{deal.pk}/timeline/",
                           {"kind": "comment", "body": "The lead wants a demo"},
                           content_type="application/json")
    assert response.status_code == 201
    assert _counts(program) == (1, 1)


def test_blocking_refuses_notes_and_changes_nothing(program, glossary):
    _blocking(program)
    with pytest.raises(InvalidInput) as error:
        program.submit(notes="A hot lead from the fair")
    assert error.value.field == "notes"
    assert "lead" in error.value.message
    assert _counts(program) == (0, 0)
    deal, _ = program.submit(notes="A registered opportunity from the fair")
    assert deal.notes == "A registered opportunity from the fair"


def test_blocking_refuses_timeline_entries_through_the_api_and_the_page(program, glossary):
    deal, _ = program.submit()
    _blocking(program)
    client = program.cast.client(program.cast.partner_admin)
    response = client.post(f"/api/v1/deals/{deal.pk}/timeline/",
                           {"kind": "comment", "body": "Our leads love it"},
                           content_type="application/json")
    assert response.status_code == 400
    [message] = response.json()["body"]
    assert "“leads” → “registered opportunity”" in message
    # The page answers the form again with the error on the field (200, so htmx swaps it).
    page = client.post(f"/deals/{deal.pk}/timeline/",
                       {"kind": "comment", "comment-body": "Our leads love it"})
    assert page.status_code == 200
    assert "The text uses discouraged words: “leads” → “registered opportunity”" in (
        page.content.decode())
    assert _counts(program) == (1, 0)


def test_the_pages_check_notes_and_comments_as_people_type(program, glossary):
    deal, _ = program.submit()
    client = program.cast.client(program.cast.partner_admin)
    for url in ("/deals/new/", f"/deals/{deal.pk}/"):
        body = client.get(url).content.decode()
        assert "js/language-check.js" in body, url
        assert "data-language-check" in body, url
    findings = client.post("/glossary/check/", {"text": "a lead", "locale": "en"})
    assert findings.status_code == 200
    assert "registered opportunity" in findings.content.decode()
