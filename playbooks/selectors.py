"""Reads of the playbooks app."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from playbooks.models import GlossaryTerm


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
