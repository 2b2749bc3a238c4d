"""Glossary writes and the language check service."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from playbooks.language import Entry, Finding, Matcher
from playbooks.models import LOCALES, DiscouragedPhrase, GlossaryTerm, GlossaryTranslation
from prm.errors import InvalidInput
from prm.events import record_event
from prm.tenancy import require_tenant

LOCALE_CODES = {code for code, _label in LOCALES}
MAX_CHECK_LENGTH = 200_000

TERM_FIELDS = ("name", "definition", "category", "examples", "synonyms")


def _clean_term(fields: dict) -> dict:
    data = {k: v for k, v in fields.items() if k in TERM_FIELDS}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise InvalidInput(_("Enter the term."), field="name")
    if "definition" in data and not (data["definition"] or "").strip():
        raise InvalidInput(_("Define the term."), field="definition")
    if "synonyms" in data:
        data["synonyms"] = sorted({s.strip() for s in data["synonyms"] or [] if s.strip()})
    return data


def _guard_definition(text: str, *, term_id: int | None, locale: str | None = None) -> None:
    """Definitions are written text too; a term may name its own discouraged words."""
    findings = [f for f in language_check(text=text, locale=locale or require_tenant().locale)
                if f.term_id != term_id]
    if findings and require_tenant().language_check_blocks:
        raise InvalidInput(_("The text uses discouraged words: %s") % ", ".join(
            f"“{f.found}” → “{f.preferred}”" for f in findings[:5]), field="definition")


@transaction.atomic
def term_create(*, actor, discouraged: list[dict] | None = None, **fields) -> GlossaryTerm:
    data = _clean_term(fields)
    if "name" not in data or "definition" not in data:
        raise InvalidInput(_("A term needs a name and a definition."), field="name")
    _guard_definition(data["definition"], term_id=None)
    try:
        with transaction.atomic():
            term = GlossaryTerm.objects.create(**data)
    except IntegrityError:
        raise InvalidInput(_("This term is already in the glossary."), field="name") from None
    for item in discouraged or []:
        discouraged_add(actor=actor, term=term, **item)
    record_event(actor=actor, verb="glossary.term_created", subject=term,
                 data={"name": term.name})
    return term


@transaction.atomic
def term_update(*, actor, term: GlossaryTerm, **fields) -> GlossaryTerm:
    term = GlossaryTerm.objects.select_for_update().get(pk=term.pk)
    data = _clean_term(fields)
    diff = {k: {"from": getattr(term, k), "to": v} for k, v in data.items()
            if getattr(term, k) != v}
    if not diff:
        return term
    if "definition" in diff:
        _guard_definition(data["definition"], term_id=term.pk)
    for key, value in data.items():
        setattr(term, key, value)
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError:
        raise InvalidInput(_("This term is already in the glossary."), field="name") from None
    record_event(actor=actor, verb="glossary.term_updated", subject=term, data=diff)
    return term


@transaction.atomic
def term_retire(*, actor, term: GlossaryTerm, retired: bool = True) -> GlossaryTerm:
    status = GlossaryTerm.Status.RETIRED if retired else GlossaryTerm.Status.ACTIVE
    if term.status == status:
        return term
    GlossaryTerm.objects.filter(pk=term.pk).update(status=status, updated_at=timezone.now())
    term.refresh_from_db()
    record_event(actor=actor, verb="glossary.term_retired" if retired
                 else "glossary.term_restored", subject=term, data={"name": term.name})
    return term


@transaction.atomic
def discouraged_add(*, actor, term: GlossaryTerm, phrase: str, locale: str = "en",
                    replacement: str = "", reason: str = "") -> DiscouragedPhrase:
    phrase = (phrase or "").strip()
    if not phrase:
        raise InvalidInput(_("Enter the discouraged word or phrase."), field="phrase")
    if locale not in LOCALE_CODES:
        raise InvalidInput(_("Unknown language."), field="locale")
    try:
        with transaction.atomic():
            item = DiscouragedPhrase.objects.create(term=term, phrase=phrase, locale=locale,
                                                    replacement=replacement.strip(),
                                                    reason=reason.strip())
    except IntegrityError:
        raise InvalidInput(_("This phrase is already discouraged."), field="phrase") from None
    _touch(term)
    record_event(actor=actor, verb="glossary.discouraged_added", subject=term,
                 data={"phrase": phrase, "locale": locale, "reason": reason})
    return item


@transaction.atomic
def discouraged_remove(*, actor, item: DiscouragedPhrase) -> None:
    term = item.term
    record_event(actor=actor, verb="glossary.discouraged_removed", subject=term,
                 data={"phrase": item.phrase, "locale": item.locale})
    item.delete()
    _touch(term)


def _touch(term: GlossaryTerm) -> None:
    """Mark the term changed, so every process's cached matcher is rebuilt (an
    ``update()`` does not set ``auto_now`` fields by itself)."""
    GlossaryTerm.objects.filter(pk=term.pk).update(updated_at=timezone.now())


@transaction.atomic
def translation_set(*, actor, term: GlossaryTerm, locale: str, name: str, definition: str,
                    examples: str = "") -> GlossaryTranslation:
    if locale not in LOCALE_CODES:
        raise InvalidInput(_("Unknown language."), field="locale")
    if not name.strip() or not definition.strip():
        raise InvalidInput(_("A translation needs the term and its definition."), field="name")
    _guard_definition(definition, term_id=term.pk, locale=locale)
    translation, _created = GlossaryTranslation.objects.update_or_create(
        term=term, locale=locale,
        defaults={"name": name.strip(), "definition": definition.strip(),
                  "examples": examples.strip()})
    record_event(actor=actor, verb="glossary.translation_set", subject=term,
                 data={"locale": locale, "name": translation.name})
    return translation


# --- the language check --------------------------------------------------------------

_matchers: dict[tuple[int, str], tuple[tuple, Matcher]] = {}


def _revision() -> tuple:
    """Changes whenever a term or discouraged phrase changes (one cheap query)."""
    stats = GlossaryTerm.objects.aggregate(latest=Max("updated_at"), terms=Count("pk"),
                                           phrases=Count("discouraged"))
    return stats["latest"], stats["terms"], stats["phrases"]


def matcher_for(locale: str) -> Matcher:
    """The tenant's matcher for ``locale``, rebuilt only when the glossary changed."""
    tenant = require_tenant()
    revision = _revision()
    cached = _matchers.get((tenant.pk, locale))
    if cached and cached[0] == revision:
        return cached[1]
    rows = (DiscouragedPhrase.objects.filter(locale=locale,
                                             term__status=GlossaryTerm.Status.ACTIVE)
            .values_list("phrase", "replacement", "term__name", "term_id", "reason"))
    entries = []
    for phrase, replacement, term_name, term_id, reason in rows:
        preferred = replacement or term_name
        entries.append(Entry(phrase, preferred, term_id,
                             reason or _("Say “%(preferred)s”.") % {"preferred": preferred}))
    matcher = Matcher(entries, locale)
    _matchers[(tenant.pk, locale)] = (revision, matcher)
    return matcher


def language_check(*, text: str, locale: str = "en") -> list[Finding]:
    """Findings of discouraged language in ``text`` with offsets into it."""
    if not isinstance(text, str):
        raise InvalidInput(_("Send the text as a string."), field="text")
    if len(text) > MAX_CHECK_LENGTH:
        raise InvalidInput(_("The text is too long to check (at most %d characters).")
                           % MAX_CHECK_LENGTH, field="text")
    if locale not in LOCALE_CODES:
        raise InvalidInput(_("Unknown language."), field="locale")
    return matcher_for(locale).check(text)


def language_guard(*, text: str, locale: str, field: str) -> list[Finding]:
    """For writes: returns findings to warn about, or refuses when the tenant blocks."""
    findings = language_check(text=text, locale=locale)
    if findings and require_tenant().language_check_blocks:
        raise InvalidInput(
            _("The text uses discouraged words: %s") % ", ".join(
                f"“{f.found}” → “{f.preferred}”" for f in findings[:5]), field=field)
    return findings
