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


def _check(client, text):
    return client.post("/api/v1/glossary/check/", {"text": text},
                       content_type="application/json").json()["findings"]


def test_admin_translates_a_term(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term_id = _create(client).json()["id"]
    url = f"/api/v1/glossary/terms/{term_id}/translations/de/"
    body = {"name": "Registrierte Opportunity", "definition": "Ein freigegebener Deal."}
    answer = client.put(url, body, content_type="application/json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["translations"]["de"]["name"] == "Registrierte Opportunity"
    again = client.put(url, {**body, "definition": "Ein von uns freigegebener Deal."},
                       content_type="application/json")
    assert again.json()["translations"]["de"]["definition"] == "Ein von uns freigegebener Deal."
    with tenant_scope(mfa_admin.acme):
        assert Event.objects.filter(verb="glossary.translation_set",
                                    subject_id=str(term_id)).count() == 2


def test_bad_translations_are_400_and_change_nothing(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term_id = _create(client).json()["id"]
    empty = client.put(f"/api/v1/glossary/terms/{term_id}/translations/de/",
                       {"name": "", "definition": ""}, content_type="application/json")
    assert empty.status_code == 400
    assert {"name", "definition"} <= set(empty.json())
    unknown = client.put(f"/api/v1/glossary/terms/{term_id}/translations/fr/",
                         {"name": "Opportunité", "definition": "Un deal."},
                         content_type="application/json")
    assert unknown.status_code == 400
    assert "locale" in unknown.json()
    assert client.get(f"/api/v1/glossary/terms/{term_id}/").json()["translations"] == {}


def test_admin_adds_and_removes_discouraged_phrases_and_the_check_follows(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term_id = _create(client).json()["id"]
    assert _check(client, "Our prospect is keen.") == []
    added = client.post(f"/api/v1/glossary/terms/{term_id}/discouraged/",
                        {"phrase": "prospect", "replacement": "registered opportunity",
                         "reason": "Once registered, it is an opportunity."},
                        content_type="application/json")
    assert added.status_code == 201, added.json()
    assert [f["found"] for f in _check(client, "Our prospect is keen.")] == ["prospect"]
    twice = client.post(f"/api/v1/glossary/terms/{term_id}/discouraged/",
                        {"phrase": "prospect"}, content_type="application/json")
    assert twice.status_code == 400
    assert "phrase" in twice.json()
    removed = client.delete(f"/api/v1/glossary/terms/{term_id}/discouraged/{added.json()['id']}/")
    assert removed.status_code == 204
    assert _check(client, "Our prospect is keen.") == []
    with tenant_scope(mfa_admin.acme):
        verbs = set(Event.objects.filter(subject_id=str(term_id)).values_list("verb", flat=True))
    assert {"glossary.discouraged_added", "glossary.discouraged_removed"} <= verbs


def test_translations_and_phrases_of_another_tenant_or_by_non_admins_are_404(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term = _create(client).json()
    phrase_id = term["discouraged"][0]["id"]
    translation = {"name": "Registrierte Opportunity", "definition": "Ein Deal."}
    for caller in (mfa_admin.other_admin, mfa_admin.partner_user, mfa_admin.manager):
        other = mfa_admin.client(caller)
        assert other.put(f"/api/v1/glossary/terms/{term['id']}/translations/de/", translation,
                         content_type="application/json").status_code == 404
        assert other.post(f"/api/v1/glossary/terms/{term['id']}/discouraged/",
                          {"phrase": "prospect"},
                          content_type="application/json").status_code == 404
        assert other.delete(
            f"/api/v1/glossary/terms/{term['id']}/discouraged/{phrase_id}/").status_code == 404
    # A phrase id of another term is not this term's.
    second = _create(client, name="Deal desk", discouraged=[]).json()
    assert client.delete(
        f"/api/v1/glossary/terms/{second['id']}/discouraged/{phrase_id}/").status_code == 404
    after = client.get(f"/api/v1/glossary/terms/{term['id']}/").json()
    assert after["translations"] == {}
    assert [d["phrase"] for d in after["discouraged"]] == ["lead"]


def test_a_translation_with_discouraged_words_is_refused_when_the_program_blocks(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term_id = _create(client).json()["id"]
    with tenant_scope(mfa_admin.acme):
        from playbooks import glossary

        glossary.discouraged_add(actor=None, term=GlossaryTerm.objects.get(pk=term_id),
                                 phrase="Kontakt", locale="de")
        other = glossary.term_create(actor=None, name="Deal desk", definition="Approves.")
    mfa_admin.acme.language_check_blocks = True
    mfa_admin.acme.save(update_fields=["language_check_blocks"])
    refused = client.put(f"/api/v1/glossary/terms/{other.pk}/translations/de/",
                         {"name": "Freigabeteam", "definition": "Prüft jeden Kontakt."},
                         content_type="application/json")
    assert refused.status_code == 400
    assert "definition" in refused.json()
    assert client.get(f"/api/v1/glossary/terms/{other.pk}/").json()["translations"] == {}


def test_partners_read_active_terms_only(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    term_id = _create(client).json()["id"]
    client.delete(f"/api/v1/glossary/terms/{term_id}/")
    partner = mfa_admin.client(mfa_admin.partner_user)
    assert partner.get("/api/v1/glossary/terms/").json()["count"] == 0
    assert partner.get("/api/v1/glossary/terms/", {"status": "retired"}).json()["count"] == 0
    assert partner.get(f"/api/v1/glossary/terms/{term_id}/").status_code == 404
    assert client.get("/api/v1/glossary/terms/", {"status": "retired"}).json()["count"] == 1
