"""Glossary terms through the API: admins write (with events), everyone reads."""

from __future__ import annotations

from playbooks.models import GlossaryTerm
from prm.models import Event
from prm.tenancy import tenant_scope


def _create(client, **extra):
    body = {"name": "Registered opportunity", "definition": "A deal we approved.",
            "category": "Deals", "synonyms": ["registration"],
            "discouraged": [{"phrase": "lead", "reason": "Leads are not registered."}]}
    body.update(extra)
    return client.post("/api/v1/glossary/terms/", body, content_type="application/json")


def test_admin_creates_edits_and_retires_with_events(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    created = _create(client)
    assert created.status_code == 201, created.json()
    term_id = created.json()["id"]
    assert created.json()["discouraged"][0]["phrase"] == "lead"
    edited = client.patch(f"/api/v1/glossary/terms/{term_id}/",
                          {"definition": "A deal a partner registered and we approved."},
                          content_type="application/json")
    assert edited.status_code == 200
    assert client.delete(f"/api/v1/glossary/terms/{term_id}/").status_code == 204
    with tenant_scope(mfa_admin.acme):
        assert GlossaryTerm.objects.get(pk=term_id).status == "retired"
        verbs = list(Event.objects.filter(subject_id=str(term_id)).order_by("pk")
                     .values_list("verb", flat=True))
    assert verbs == ["glossary.discouraged_added", "glossary.term_created",
                     "glossary.term_updated", "glossary.term_retired"]


def test_duplicate_and_empty_terms_are_400(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    _create(client)
    assert _create(client, name="registered OPPORTUNITY").status_code == 400
    empty = _create(client, name="", definition="")
    assert empty.status_code == 400
    assert {"name", "definition"} <= set(empty.json())


def test_everyone_reads_only_admins_write(cast):
    client = cast.client(cast.partner_user)
    assert client.get("/api/v1/glossary/terms/").status_code == 200
    assert _create(client).status_code == 404
    assert _create(cast.client(cast.manager)).status_code == 404


def test_search_finds_by_discouraged_phrase(mfa_admin):
    _create(mfa_admin.client(mfa_admin.admin))
    body = mfa_admin.client(mfa_admin.partner_user).get("/api/v1/glossary/terms/",
                                                        {"q": "lead"}).json()
    assert [t["name"] for t in body["results"]] == ["Registered opportunity"]


def test_blocking_mode_refuses_definitions_with_other_discouraged_words(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term_id = _create(client).json()["id"]
    mfa_admin.acme.language_check_blocks = True
    mfa_admin.acme.save(update_fields=["language_check_blocks"])
    refused = _create(client, name="Deal desk", definition="Reviews every lead.",
                      discouraged=[])
    assert refused.status_code == 400
    assert "definition" in refused.json()
    # A term may name its own discouraged words in its definition.
    own = client.patch(f"/api/v1/glossary/terms/{term_id}/",
                       {"definition": "Not a lead: a deal we approved."},
                       content_type="application/json")
    assert own.status_code == 200, own.json()
