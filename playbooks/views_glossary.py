"""Portal pages of the glossary, and the live language check's partial."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from playbooks import glossary, selectors
from playbooks.access import get_phrase_for_admin, get_term_for_admin
from playbooks.forms_glossary import (
    DiscouragedForm,
    GlossaryFilterForm,
    LanguageCheckForm,
    TermForm,
    TranslationForm,
)
from playbooks.glossary import LOCALE_CODES
from playbooks.models import GlossaryTerm
from prm.access import admin_required, member_required
from prm.errors import DomainError
from prm.htmx import render_page
from prm.models import Role

PAGE_SIZE = 50


def active_locale(request: HttpRequest) -> str:
    """The page's language as a glossary locale (``de-at`` → ``de``)."""
    code = (get_language() or "").split("-")[0]
    return code if code in LOCALE_CODES else request.tenant.locale


# --- browsing -------------------------------------------------------------------------

@member_required
@require_GET
def glossary_list(request: HttpRequest) -> HttpResponse:
    form = GlossaryFilterForm(request.GET or None, categories=selectors.glossary_categories())
    locale, base = active_locale(request), request.tenant.locale
    terms = selectors.glossary_page_terms(locale=locale, base_locale=base, **form.filters())
    page = Paginator(terms, PAGE_SIZE).get_page(request.GET.get("page"))
    is_admin = request.membership.role == Role.TENANT_ADMIN
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(request, "playbooks/glossary.html", {
        "form": form, "page": page, "locale": locale, "is_admin": is_admin,
        "query": query.urlencode(),
        # Lazy: only the full page (not the htmx partial) reads it.
        "retired": selectors.glossary_page_terms(
            locale=locale, base_locale=base, status=GlossaryTerm.Status.RETIRED)
        if is_admin else (),
    }, partial="playbooks/partials/glossary_results.html")


# --- editing (tenant admins) ----------------------------------------------------------

@admin_required
@require_http_methods(["GET", "POST"])
def glossary_term_new(request: HttpRequest) -> HttpResponse:
    form = TermForm(request.POST if request.method == "POST" else None,
                    locale=request.tenant.locale)
    if form.is_bound and form.is_valid():
        try:
            term = glossary.term_create(actor=request.user, **form.values())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("“%s” was added to the glossary. Add the words to "
                                        "avoid and translations below.") % term.name)
            _warn_about_findings(request, term.definition, term_id=term.pk)
            return redirect("glossary_term_edit", term.pk)
    return render(request, "playbooks/glossary_term_form.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def glossary_term_edit(request: HttpRequest, term_id: int) -> HttpResponse:
    term = get_term_for_admin(request.membership, term_id)
    form = TermForm(request.POST if request.method == "POST" else None,
                    initial=TermForm.initial_for(term), locale=request.tenant.locale)
    if form.is_bound and form.is_valid():
        try:
            term = glossary.term_update(actor=request.user, term=term, **form.values())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            _warn_about_findings(request, term.definition, term_id=term.pk)
            return redirect("glossary_term_edit", term.pk)
    return _edit_page(request, term, term_form=form)


@admin_required
@require_POST
def glossary_term_retire(request: HttpRequest, term_id: int) -> HttpResponse:
    term = glossary.term_retire(actor=request.user,
                                term=get_term_for_admin(request.membership, term_id))
    messages.success(request, _("“%s” was retired. It stays in the history and can be "
                                "restored.") % term.name)
    return redirect("glossary")


@admin_required
@require_POST
def glossary_term_restore(request: HttpRequest, term_id: int) -> HttpResponse:
    term = glossary.term_retire(actor=request.user, retired=False,
                                term=get_term_for_admin(request.membership, term_id))
    messages.success(request, _("“%s” is back in the glossary.") % term.name)
    return redirect(f"{reverse('glossary')}#term-{term.pk}")


@admin_required
@require_POST
def glossary_discouraged_add(request: HttpRequest, term_id: int) -> HttpResponse:
    term = get_term_for_admin(request.membership, term_id)
    form = DiscouragedForm(request.POST)
    if form.is_valid():
        try:
            glossary.discouraged_add(actor=request.user, term=term, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("“%s” is now flagged wherever people write.")
                             % form.cleaned_data["phrase"])
            return redirect(f"{reverse('glossary_term_edit', args=[term.pk])}#discouraged")
    return _edit_page(request, term, phrase_form=form)


@admin_required
@require_POST
def glossary_discouraged_remove(request: HttpRequest, term_id: int,
                                phrase_id: int) -> HttpResponse:
    term = get_term_for_admin(request.membership, term_id)
    phrase = get_phrase_for_admin(request.membership, term, phrase_id)
    glossary.discouraged_remove(actor=request.user, item=phrase)
    messages.success(request, _("“%s” is no longer flagged.") % phrase.phrase)
    return redirect(f"{reverse('glossary_term_edit', args=[term.pk])}#discouraged")


@admin_required
@require_POST
def glossary_translation_set(request: HttpRequest, term_id: int, locale: str) -> HttpResponse:
    term = get_term_for_admin(request.membership, term_id)
    if locale not in LOCALE_CODES or locale == request.tenant.locale:
        raise Http404
    form = TranslationForm(request.POST, locale=locale, term_id=term.pk)
    if form.is_valid():
        try:
            glossary.translation_set(actor=request.user, term=term, locale=locale,
                                     **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The %s translation was saved.") % form.locale_label)
            return redirect(f"{reverse('glossary_term_edit', args=[term.pk])}#translations")
    return _edit_page(request, term, translation_form=form)


def _edit_page(request: HttpRequest, term: GlossaryTerm, *, term_form: TermForm | None = None,
               phrase_form: DiscouragedForm | None = None,
               translation_form: TranslationForm | None = None) -> HttpResponse:
    existing = {t.locale: t for t in term.translations.all()}
    translation_forms = []
    for code in sorted(LOCALE_CODES - {request.tenant.locale}):
        if translation_form is not None and translation_form.locale == code:
            translation_forms.append(translation_form)
            continue
        current = existing.get(code)
        initial = ({"name": current.name, "definition": current.definition,
                    "examples": current.examples} if current else {})
        translation_forms.append(TranslationForm(initial=initial, locale=code, term_id=term.pk))
    return render(request, "playbooks/glossary_term_form.html", {
        "term": term,
        "form": term_form or TermForm(initial=TermForm.initial_for(term),
                                      locale=request.tenant.locale),
        "phrases": term.discouraged.order_by("locale", "phrase"),
        "phrase_form": phrase_form or DiscouragedForm(initial={"locale": request.tenant.locale}),
        "translation_forms": translation_forms,
    })


def _warn_about_findings(request: HttpRequest, text: str, *, term_id: int) -> None:
    """In warn-only mode a definition may keep discouraged words; say so after saving."""
    findings = [f for f in glossary.language_check(text=text, locale=request.tenant.locale)
                if f.term_id != term_id]
    if findings:
        messages.warning(request, _("The definition uses discouraged words: %s") % ", ".join(
            f"“{f.found}” → “{f.preferred}”" for f in findings[:5]))


# --- the live language check ----------------------------------------------------------

FINDINGS_TEMPLATE = "playbooks/partials/language_findings.html"


@member_required
@require_POST
def language_check_partial(request: HttpRequest) -> HttpResponse:
    """Findings for the text being typed, as the partial the script shows under it."""
    form = LanguageCheckForm(request.POST)
    if "text" not in request.POST or not form.is_valid():
        return render(request, FINDINGS_TEMPLATE, {"findings": []}, status=400)
    try:
        findings = glossary.language_check(**form.cleaned_data)
    except DomainError:
        return render(request, FINDINGS_TEMPLATE, {"findings": []}, status=400)
    return render(request, FINDINGS_TEMPLATE, {
        "findings": findings, "blocks": request.tenant.language_check_blocks})
