"""Glossary pages, the live language check's partial and the glossary_links filter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils.safestring import mark_safe
from rest_framework.routers import SimpleRouter

import prm.urls
from playbooks import glossary
from playbooks.api_content import ContentViewSet
from playbooks.models import DiscouragedPhrase, GlossaryTerm, GlossaryTranslation
from prm.models import Event, Tenant
from prm.tenancy import tenant_scope

# Until prm/urls.py mounts playbooks.urls and registers the content API, the tests of this
# package run on the portal's URLs plus ours (the same paths the portal will have).
_router = SimpleRouter(trailing_slash=True, use_regex_path=False)
_router.register("content", ContentViewSet, basename="content")
urlpatterns = [
    path("", include("playbooks.urls_glossary")),
    path("", include("playbooks.urls_content")),
    path("api/v1/", include(_router.urls)),
    *prm.urls.urlpatterns,
]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def terms(mfa_admin):
    """Two active terms with discouraged words (one German), a translation, one retired."""
    cast = mfa_admin
    with tenant_scope(cast.acme):
        registered = glossary.term_create(
            actor=cast.admin.user, name="Registered opportunity", category="Deals",
            definition="A deal a partner registered and we approved.",
            examples="Every registered opportunity needs a partner margin.",
            synonyms=["approved registration"],
            discouraged=[{"phrase": "lead", "reason": "Once registered, it is no lead."},
                         {"phrase": "Lead", "locale": "de",
                          "replacement": "registrierte Opportunity",
                          "reason": "Kein Lead mehr."}])
        margin = glossary.term_create(
            actor=cast.admin.user, name="Partner margin", category="Program",
            definition="What a partner keeps of the list price.",
            discouraged=[{"phrase": "reseller discount", "reason": "It is earned margin."}])
        glossary.translation_set(actor=cast.admin.user, term=registered, locale="de",
                                 name="Registrierte Opportunity",
                                 definition="Eine registrierte und freigegebene Chance.")
        old = glossary.term_create(actor=cast.admin.user, name="Deal desk",
                                   definition="The old approval team.", category="Deals")
        glossary.term_retire(actor=cast.admin.user, term=old)
    with tenant_scope(cast.globex):
        glossary.term_create(actor=None, name="Globex secret term",
                             definition="Only Globex knows.")
    return {"registered": registered, "margin": margin, "old": old}


def _state(tenant):
    with tenant_scope(tenant):
        return (list(GlossaryTerm.objects.order_by("pk").values_list(
                    "pk", "name", "definition", "status", "synonyms")),
                list(DiscouragedPhrase.objects.order_by("pk").values_list("pk", "phrase")),
                list(GlossaryTranslation.objects.order_by("pk").values_list("pk", "name")),
                Event.objects.count())


# --- browsing -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "manager", "partner_admin", "partner_user"])
def test_every_member_browses_the_glossary(mfa_admin, terms, who):
    response = mfa_admin.client(getattr(mfa_admin, who)).get("/glossary/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Registered opportunity" in body
    assert "Partner margin" in body
    assert "“reseller discount”" in body
    assert "It is earned margin." in body
    assert "approved registration" in body
    assert "Globex secret term" not in body
    # Retired terms are for admins only, in their own section.
    assert ("Retired terms" in body) == (who == "admin")
    assert ("Deal desk" in body) == (who == "admin")
    assert ("/glossary/new/" in body) == (who == "admin")


def test_search_and_category_filter(mfa_admin, terms):
    client = mfa_admin.client(mfa_admin.partner_user)
    by_phrase = client.get("/glossary/", {"q": "lead"})
    assert [t.name for t in by_phrase.context["page"]] == ["Registered opportunity"]
    by_synonym = client.get("/glossary/", {"q": "approved registration"})
    assert [t.name for t in by_synonym.context["page"]] == ["Registered opportunity"]
    by_category = client.get("/glossary/", {"category": "Program"})
    assert [t.name for t in by_category.context["page"]] == ["Partner margin"]
    nothing = client.get("/glossary/", {"q": "zzz"})
    assert "No term matches" in nothing.content.decode()
    # An unknown category is ignored, not an error.
    assert client.get("/glossary/", {"category": "Nope"}).status_code == 200


def test_htmx_search_answers_with_the_results_only(mfa_admin, terms):
    response = mfa_admin.client(mfa_admin.partner_user).get(
        "/glossary/", {"q": "margin"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Partner margin" in body
    assert "<html" not in body


def test_german_readers_see_the_translation(mfa_admin, terms):
    client = mfa_admin.client(mfa_admin.partner_user)
    body = client.get("/glossary/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Registrierte Opportunity" in body
    assert "Eine registrierte und freigegebene Chance." in body
    assert "Partner margin" in body  # no translation: the base record
    english = client.get("/glossary/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Registrierte Opportunity" not in english.split("Words to avoid")[0]


def test_examples_link_other_terms_not_the_term_itself(mfa_admin, terms):
    body = mfa_admin.client(mfa_admin.partner_user).get("/glossary/").content.decode()
    assert ('<abbr class="glossary-term" title="What a partner keeps of the list price.">'
            "partner margin</abbr>") in body
    assert "<abbr class=\"glossary-term\" title=\"A deal a partner" not in body


# --- editing --------------------------------------------------------------------------

def test_admin_creates_edits_retires_and_restores_with_events(mfa_admin, terms):
    client = mfa_admin.client(mfa_admin.admin)
    assert client.get("/glossary/new/").status_code == 200
    created = client.post("/glossary/new/", {
        "name": "QBR", "category": "Program", "definition": "The quarterly business review.",
        "examples": "Bring the pipeline.", "synonyms": "quarterly business review, review, "})
    with tenant_scope(mfa_admin.acme):
        term = GlossaryTerm.objects.get(name="QBR")
    assert created.status_code == 302
    assert created["Location"] == f"/glossary/{term.pk}/edit/"
    assert term.synonyms == ["quarterly business review", "review"]
    edit = client.get(f"/glossary/{term.pk}/edit/")
    assert edit.status_code == 200
    assert 'data-language-check' in edit.content.decode()
    client.post(f"/glossary/{term.pk}/edit/", {
        "name": "QBR", "category": "Program", "definition": "Quarterly business review.",
        "examples": "", "synonyms": ""})
    client.post(f"/glossary/{term.pk}/discouraged/", {
        "phrase": "quarterly check-in", "locale": "en", "replacement": "",
        "reason": "Call it by its name."})
    client.post(f"/glossary/{term.pk}/translations/de/", {
        "tr-de-name": "QBR", "tr-de-definition": "Das Quartalsgespräch.",
        "tr-de-examples": ""})
    with tenant_scope(mfa_admin.acme):
        phrase = DiscouragedPhrase.objects.get(term=term)
        assert GlossaryTranslation.objects.get(term=term, locale="de").definition == (
            "Das Quartalsgespräch.")
    removed = client.post(f"/glossary/{term.pk}/discouraged/{phrase.pk}/remove/")
    assert removed.status_code == 302
    assert client.post(f"/glossary/{term.pk}/retire/").status_code == 302
    assert client.post(f"/glossary/{term.pk}/restore/").status_code == 302
    with tenant_scope(mfa_admin.acme):
        term.refresh_from_db()
        verbs = list(Event.objects.filter(subject_id=str(term.pk),
                                          subject_type="playbooks.glossaryterm")
                     .order_by("pk").values_list("verb", flat=True))
        assert not DiscouragedPhrase.objects.filter(term=term).exists()
    assert term.status == "active"
    assert term.definition == "Quarterly business review."
    assert verbs == ["glossary.term_created", "glossary.term_updated",
                     "glossary.discouraged_added", "glossary.translation_set",
                     "glossary.discouraged_removed", "glossary.term_retired",
                     "glossary.term_restored"]


ADMIN_PAGES = [("get", "/glossary/new/"), ("post", "/glossary/new/"),
               ("get", "/glossary/{term}/edit/"), ("post", "/glossary/{term}/edit/"),
               ("post", "/glossary/{term}/retire/"), ("post", "/glossary/{old}/restore/"),
               ("post", "/glossary/{term}/discouraged/"),
               ("post", "/glossary/{term}/discouraged/{phrase}/remove/"),
               ("post", "/glossary/{term}/translations/de/")]


@pytest.mark.parametrize(("method", "url"), ADMIN_PAGES)
def test_everyone_else_gets_404_and_nothing_changes(mfa_admin, terms, method, url):
    with tenant_scope(mfa_admin.acme):
        phrase = DiscouragedPhrase.objects.filter(term=terms["registered"]).first()
    has_ids = "{" in url
    url = url.format(term=terms["registered"].pk, old=terms["old"].pk, phrase=phrase.pk)
    data = {"name": "Hacked", "definition": "Hacked", "phrase": "x", "locale": "en",
            "tr-de-name": "x", "tr-de-definition": "x"}
    before = _state(mfa_admin.acme)
    for who in (mfa_admin.manager, mfa_admin.partner_admin, mfa_admin.partner_user):
        response = getattr(mfa_admin.client(who), method)(url, data)
        assert response.status_code == 404, (who, url)
    if has_ids:  # tenant B's admin on their own host: tenant A's ids do not exist there
        other = getattr(mfa_admin.client(mfa_admin.other_admin), method)(url, data)
        assert other.status_code == 404
    assert _state(mfa_admin.acme) == before


def test_bad_input_shows_errors_and_saves_nothing(mfa_admin, terms):
    client = mfa_admin.client(mfa_admin.admin)
    term = terms["registered"]
    before = _state(mfa_admin.acme)
    empty = client.post("/glossary/new/", {"name": " ", "definition": ""})
    assert empty.status_code == 200
    assert empty.context["form"].errors.keys() >= {"name", "definition"}
    duplicate = client.post("/glossary/new/", {"name": "partner MARGIN", "definition": "x"})
    assert "already in the glossary" in str(duplicate.context["form"].errors["name"])
    phrase = client.post(f"/glossary/{term.pk}/discouraged/",
                         {"phrase": "LEAD", "locale": "en"})
    assert "already discouraged" in str(phrase.context["phrase_form"].errors["phrase"])
    locale = client.post(f"/glossary/{term.pk}/discouraged/", {"phrase": "x", "locale": "fr"})
    assert "locale" in locale.context["phrase_form"].errors
    assert client.post(f"/glossary/{term.pk}/translations/fr/", {}).status_code == 404
    assert client.post(f"/glossary/{term.pk}/translations/en/", {}).status_code == 404
    translation = client.post(f"/glossary/{term.pk}/translations/de/", {"tr-de-name": ""})
    assert translation.status_code == 200
    assert translation.context["translation_forms"][0].errors
    assert _state(mfa_admin.acme) == before


def test_blocking_mode_refuses_discouraged_words_as_a_form_error(mfa_admin, terms):
    mfa_admin.acme.language_check_blocks = True
    mfa_admin.acme.save(update_fields=["language_check_blocks"])
    client = mfa_admin.client(mfa_admin.admin)
    before = _state(mfa_admin.acme)
    refused = client.post("/glossary/new/", {"name": "Deal review",
                                             "definition": "We review every lead."})
    assert refused.status_code == 200
    assert "discouraged words" in str(refused.context["form"].errors["definition"])
    edit = client.post(f"/glossary/{terms['margin'].pk}/edit/", {
        "name": "Partner margin", "definition": "Not a lead discount."})
    assert "definition" in edit.context["form"].errors
    german = client.post(f"/glossary/{terms['margin'].pk}/translations/de/", {
        "tr-de-name": "Partnermarge", "tr-de-definition": "Kein Lead."})
    assert "definition" in german.context["translation_forms"][0].errors
    assert _state(mfa_admin.acme) == before
    # A term may name its own discouraged words.
    own = client.post(f"/glossary/{terms['registered'].pk}/edit/", {
        "name": "Registered opportunity", "definition": "No longer a lead: approved."})
    assert own.status_code == 302


def test_warn_mode_saves_and_says_so(mfa_admin, terms):
    response = mfa_admin.client(mfa_admin.admin).post(
        "/glossary/new/", {"name": "Deal review", "definition": "We review every lead."},
        follow=True)
    assert "The definition uses discouraged words" in response.content.decode()


# --- the live language check ------------------------------------------------------------

def test_live_check_lists_findings_with_offsets(mfa_admin, terms):
    client = mfa_admin.client(mfa_admin.partner_user)
    response = client.post("/glossary/check/", {"text": "Two new leads, one reseller discount.",
                                                "locale": "en"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-start="8" data-end="13"' in body
    assert 'data-found="leads"' in body
    assert "“Registered opportunity”" in body
    assert "Once registered, it is no lead." in body
    assert 'data-found="reseller discount"' in body
    assert "Use “Partner margin”" in body
    german = client.post("/glossary/check/", {"text": "Ein Lead.", "locale": "de"})
    assert 'data-preferred="registrierte Opportunity"' in german.content.decode()


def test_live_check_is_empty_for_clean_text(mfa_admin, terms):
    client = mfa_admin.client(mfa_admin.partner_user)
    for text in ("A registered opportunity.", "", "The leader said https://x.test/lead"):
        response = client.post("/glossary/check/", {"text": text, "locale": "en"})
        assert response.status_code == 200
        assert response.content.decode().strip() == "", text


def test_live_check_says_when_the_program_blocks(mfa_admin, terms):
    mfa_admin.acme.language_check_blocks = True
    mfa_admin.acme.save(update_fields=["language_check_blocks"])
    response = mfa_admin.client(mfa_admin.partner_user).post(
        "/glossary/check/", {"text": "a lead", "locale": "en"})
    assert "language-findings-blocking" in response.content.decode()


@pytest.mark.parametrize("data", [{}, {"locale": "en"}, {"text": "a lead", "locale": "xx"},
                                  {"text": "a lead"},
                                  {"text": "a" * (glossary.MAX_CHECK_LENGTH + 1),
                                   "locale": "en"}])
def test_live_check_refuses_malformed_input(mfa_admin, terms, data):
    response = mfa_admin.client(mfa_admin.partner_user).post("/glossary/check/", data)
    assert response.status_code == 400
    assert response.content.decode().strip() == ""


def test_live_check_needs_a_member_and_a_post(mfa_admin, terms):
    assert mfa_admin.client().post("/glossary/check/", {"text": "lead",
                                                        "locale": "en"}).status_code == 302
    assert mfa_admin.client(mfa_admin.partner_user).get("/glossary/check/").status_code == 405


# --- the glossary_links filter ----------------------------------------------------------

def _render(text, tenant, exclude=None, language="en"):
    from django.utils import translation

    with tenant_scope(tenant), translation.override(language):
        template = Template("{% load glossary_tags %}{{ text|glossary_links:exclude }}")
        return template.render(Context({"text": text, "exclude": exclude}))


def test_filter_escapes_everything_and_links_first_occurrences(mfa_admin, terms):
    html = _render("<script>alert(1)</script> Partner margin & PARTNER MARGIN",
                   mfa_admin.acme)
    assert html == ("&lt;script&gt;alert(1)&lt;/script&gt; <abbr class=\"glossary-term\" "
                    "title=\"What a partner keeps of the list price.\">Partner margin</abbr>"
                    " &amp; PARTNER MARGIN")


def test_filter_wraps_whole_words_only(mfa_admin, terms):
    assert "abbr" not in _render("Partner margins and repartner marginal", mfa_admin.acme)
    assert "abbr" not in _render("See https://x.test/partner margin", mfa_admin.acme)
    assert "abbr" in _render("(partner\nmargin)", mfa_admin.acme)


def test_filter_escapes_the_definition_and_skips_the_excluded_term(mfa_admin, terms):
    with tenant_scope(mfa_admin.acme):
        glossary.term_update(actor=None, term=terms["margin"],
                             definition='What a partner keeps. "Quoted" <b>bold</b>')
    html = _render("partner margin", mfa_admin.acme)
    assert 'title="What a partner keeps. &quot;Quoted&quot; &lt;b&gt;bold&lt;/b&gt;"' in html
    assert "abbr" not in _render("partner margin", mfa_admin.acme, exclude=terms["margin"].pk)


def test_filter_leaves_html_untouched_and_uses_translations(mfa_admin, terms):
    safe = mark_safe('<a title="partner margin">partner margin</a>')
    assert _render(safe, mfa_admin.acme) == safe
    german = _render("Jede Registrierte Opportunity zählt.", mfa_admin.acme, language="de")
    assert 'title="Eine registrierte und freigegebene Chance."' in german


def test_filter_reads_the_terms_once_per_request(mfa_admin, terms):
    from django.utils import translation

    template = Template("{% load glossary_tags %}{% for t in texts %}{{ t|glossary_links }}"
                        "{% endfor %}")
    tenant = Tenant.objects.get(pk=mfa_admin.acme.pk)  # a fresh object, as in a request
    with (tenant_scope(tenant), translation.override("en"),
          CaptureQueriesContext(connection) as queries):
        html = template.render(Context({"texts": ["partner margin"] * 50}))
    assert html.count("<abbr") == 50
    assert len(queries) == 1


def _render_markdown(text, tenant):
    from django.utils import translation

    from playbooks.markdown import render_markdown

    with tenant_scope(tenant), translation.override("en"):
        template = Template("{% load glossary_tags %}{{ html|glossary_links_html }}")
        return template.render(Context({"html": render_markdown(text)}))


def test_html_filter_links_terms_in_rendered_markdown_text_only(mfa_admin, terms):
    html = _render_markdown(
        "Agree the **partner margin** first.\n\n"
        "[partner margin](https://example.test/partner-margin) and `partner margin` "
        "and PARTNER MARGIN", mfa_admin.acme)
    assert html.count("<abbr") == 1
    assert ('<strong><abbr class="glossary-term" title="What a partner keeps of the list '
            'price.">partner margin</abbr></strong>') in html
    assert ('<a href="https://example.test/partner-margin" rel="noopener noreferrer">'
            'partner margin</a>') in html
    assert "<code>partner margin</code>" in html


def test_html_filter_looks_inside_links_and_code_for_nothing(mfa_admin, terms):
    html = _render_markdown("[see the partner margin](https://x.test) then partner margin",
                            mfa_admin.acme)
    assert ('<a href="https://x.test" rel="noopener noreferrer">see the partner margin</a>'
            ' then <abbr') in html


def test_html_filter_never_breaks_entities_or_takes_plain_text_as_html(mfa_admin, terms):
    with tenant_scope(mfa_admin.acme):
        glossary.term_create(actor=None, name="Amp", definition="A unit of current.")
    html = _render_markdown("Fish &amp; chips & partner margin", mfa_admin.acme)
    assert html.count("&amp;") == 2  # the term "Amp" is never found inside an entity
    assert html.count("<abbr") == 1
    with tenant_scope(mfa_admin.acme):
        plain = Template("{% load glossary_tags %}{{ t|glossary_links_html }}").render(
            Context({"t": "<i>partner margin</i>"}))
    assert plain.startswith("&lt;i&gt;<abbr")


# --- query counts -------------------------------------------------------------------------

def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _add_terms(tenant, count, start=0):
    with tenant_scope(tenant):
        for i in range(start, start + count):
            glossary.term_create(
                actor=None, name=f"Term {i}", definition=f"Definition {i}",
                examples=f"Partner margin example {i}", category=f"Cat {i % 3}",
                discouraged=[{"phrase": f"badword{i}", "reason": "r"},
                             {"phrase": f"schlecht{i}", "locale": "de"}])


def test_glossary_page_query_count_does_not_grow_with_terms(mfa_admin, terms):
    admin = mfa_admin.client(mfa_admin.admin)
    partner = mfa_admin.client(mfa_admin.partner_user)
    _add_terms(mfa_admin.acme, 3)
    for client in (admin, partner):  # the first request of a session also saves the session
        client.get("/glossary/")
    small = (_queries(admin, "/glossary/"), _queries(partner, "/glossary/"),
             _queries(partner, "/glossary/?q=term&category=Cat+1"))
    _add_terms(mfa_admin.acme, 30, start=3)
    large = (_queries(admin, "/glossary/"), _queries(partner, "/glossary/"),
             _queries(partner, "/glossary/?q=term&category=Cat+1"))
    assert small == large == PINNED_GLOSSARY_QUERIES


# tenant, savepoint, tenant check, set_config; session, user, membership, MFA check (admin);
# then categories, count, page of terms, their discouraged phrases, the terms for
# glossary_links; retired terms and their count (admin); set_config reset, release.
PINNED_GLOSSARY_QUERIES = (17, 14, 14)
