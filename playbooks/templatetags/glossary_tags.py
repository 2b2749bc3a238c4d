"""``{{ text|glossary_links }}``: glossary terms in a plain text, with their definition on hover.

Give it plain text (a note, a description, an example sentence), never HTML: the text is
escaped, and the first occurrence of each active term's name (whole words, any case) is
wrapped in ``<abbr class="glossary-term" title="definition">``. Text that is already
marked safe (rendered Markdown, other filters' HTML) is returned untouched, so tags and
entities are never rewritten. Chain HTML-making filters after it::

    {% load glossary_tags %}
    {{ deal.notes|glossary_links|linebreaksbr }}
    {{ term.examples|glossary_links:term.pk }}   {# without linking the term itself #}

Names inside URLs and e-mail addresses are left alone. The terms are read with one query
per request (and language), cached on the request's tenant object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django import template
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language

from playbooks.language import _skipped_spans
from playbooks.models import LOCALES, GlossaryTerm, GlossaryTranslation
from prm.tenancy import get_current_tenant

register = template.Library()

TITLE_CHARS = 300
_CACHE_ATTR = "_glossary_links_cache"


@dataclass(frozen=True)
class _Links:
    pattern: re.Pattern | None
    titles: dict[str, tuple[int, str]]   # folded name → (term id, escaped title)


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


@lru_cache(maxsize=64)
def _compile(names: tuple[str, ...]) -> re.Pattern | None:
    if not names:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in name.split())
                            for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _links() -> _Links | None:
    """The active terms of the current tenant in the active language (one query)."""
    tenant = get_current_tenant()
    if tenant is None:
        return None
    code = (get_language() or "").split("-")[0]
    locale = code if code in dict(LOCALES) else tenant.locale
    cache = tenant.__dict__.setdefault(_CACHE_ATTR, {})
    if locale in cache:
        return cache[locale]
    terms = GlossaryTerm.objects.filter(status=GlossaryTerm.Status.ACTIVE)
    if locale != tenant.locale:
        translated = GlossaryTranslation.objects.filter(term=OuterRef("pk"), locale=locale)
        terms = terms.annotate(
            local_name=Subquery(translated.values("name")[:1]),
            local_definition=Coalesce(Subquery(translated.values("definition")[:1]),
                                      "definition"))
        rows = terms.values_list("pk", "name", "local_name", "local_definition")
    else:
        rows = terms.values_list("pk", "name", "name", "definition")
    titles: dict[str, tuple[int, str]] = {}
    for pk, name, local_name, definition in rows:
        title = escape(Truncator(" ".join(definition.split())).chars(TITLE_CHARS))
        for shown in {name, local_name} - {None, ""}:
            titles.setdefault(_fold(shown), (pk, title))
    links = _Links(_compile(tuple(sorted(titles))), titles)
    cache[locale] = links
    return links


@register.filter(is_safe=False)
def glossary_links(text, exclude_term=None) -> SafeString | SafeData:
    """Escape ``text`` and link the first occurrence of each glossary term in it."""
    if text is None or text == "":
        return mark_safe("")
    if isinstance(text, SafeData):
        return text  # HTML: never rewrite inside tags or entities
    text = str(text)
    links = _links()
    if links is None or links.pattern is None:
        return escape(text)
    exclude = int(exclude_term) if str(exclude_term or "").isdigit() else None
    skipped = _skipped_spans(text)
    seen: set[int] = set()
    parts: list[str] = []
    position = 0
    for match in links.pattern.finditer(text):
        term_id, title = links.titles[_fold(match.group())]
        if term_id in seen or term_id == exclude or any(
                start <= match.start() < end for start, end in skipped):
            continue
        seen.add(term_id)
        parts.append(escape(text[position:match.start()]))
        parts.append(f'<abbr class="glossary-term" title="{title}">'
                     f"{escape(match.group())}</abbr>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text was escaped above
