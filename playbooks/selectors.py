"""Reads of the playbooks app."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from playbooks.models import DiscouragedPhrase, GlossaryTerm, GlossaryTranslation


def term_list(*, q: str = "", category: str = "", status: str = "") -> QuerySet[GlossaryTerm]:
    terms = GlossaryTerm.objects.prefetch_related("discouraged", "translations")
    if q:
        terms = terms.filter(Q(name__icontains=q) | Q(definition__icontains=q)
                             | Q(discouraged__phrase__icontains=q)).distinct()
    if category:
        terms = terms.filter(category=category)
    if status:
        terms = terms.filter(status=status)
    return terms.order_by("name")


def glossary_page_terms(*, locale: str, base_locale: str, q: str = "", category: str = "",
                        status: str = GlossaryTerm.Status.ACTIVE) -> QuerySet[GlossaryTerm]:
    """Terms as the glossary page shows them in ``locale``: ``shown_name``,
    ``shown_definition`` and ``shown_examples`` come from the translation when there is
    one; discouraged phrases are prefetched (two queries, whatever the number of terms)."""
    terms = GlossaryTerm.objects.filter(status=status)
    if locale != base_locale:
        translated = GlossaryTranslation.objects.filter(term=OuterRef("pk"), locale=locale)
        terms = terms.annotate(
            shown_name=Coalesce(Subquery(translated.values("name")[:1]), F("name")),
            shown_definition=Coalesce(Subquery(translated.values("definition")[:1]),
                                      F("definition")),
            shown_examples=Coalesce(Subquery(translated.values("examples")[:1]), F("examples")),
        )
    else:
        terms = terms.annotate(shown_name=F("name"), shown_definition=F("definition"),
                               shown_examples=F("examples"))
    if q:
        terms = terms.filter(
            Q(name__icontains=q) | Q(definition__icontains=q) | Q(synonyms__icontains=q)
            | Q(Exists(DiscouragedPhrase.objects.filter(term=OuterRef("pk"),
                                                        phrase__icontains=q)))
            | Q(Exists(GlossaryTranslation.objects.filter(
                Q(name__icontains=q) | Q(definition__icontains=q), term=OuterRef("pk")))))
    if category:
        terms = terms.filter(category=category)
    phrases = DiscouragedPhrase.objects.order_by("locale", Lower("phrase"))
    return terms.prefetch_related(Prefetch("discouraged", queryset=phrases)).order_by(
        Lower("shown_name"), "pk")


def glossary_categories() -> list[str]:
    """The categories in use by active terms, for the category filter."""
    return list(GlossaryTerm.objects.filter(status=GlossaryTerm.Status.ACTIVE)
                .exclude(category="").order_by("category")
                .values_list("category", flat=True).distinct())
