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

``{{ html|glossary_links_html }}`` does the same in HTML that we made and sanitised
ourselves (rendered playbook Markdown): only the text between tags is looked at, never
inside links, code, or an ``abbr`` already there, and never inside a character entity::

    {{ stage.exit_criteria|playbook_markdown|glossary_links_html }}
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


_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"^</?([a-zA-Z0-9]+)")
_NOT_INSIDE = {"a", "code", "pre", "abbr", "span"}  # span: talk-track variables
_ENTITY = re.compile(r"&#?\w+;")


def _link_terms(text: str, links: _Links, seen: set[int], *, skipped: list[tuple[int, int]],
                escape_text=str, exclude: int | None = None) -> str:
    """``text`` with the first occurrence of each term not in ``seen`` (nor ``exclude``,
    nor overlapping a ``skipped`` span) wrapped in an ``abbr``; the text around them goes
    through ``escape_text``. Adds the terms linked to ``seen``."""
    parts, position = [], 0
    for match in links.pattern.finditer(text):
        term_id, title = links.titles[_fold(match.group())]
        if term_id in seen or term_id == exclude or any(
                start < match.end() and match.start() < end for start, end in skipped):
            continue
        seen.add(term_id)
        parts += [escape_text(text[position:match.start()]),
                  f'<abbr class="glossary-term" title="{title}">'
                  f"{escape_text(match.group())}</abbr>"]
        position = match.end()
    return "".join(parts) + escape_text(text[position:])


@register.filter(is_safe=True)
def glossary_links_html(html) -> SafeString | SafeData:
    """Link the first occurrence of each glossary term in the text parts of ``html``,
    which must be HTML we produced and sanitised (``render_markdown``): tags are
    recognised by ``<`` and ``>``, which sanitised text and attributes never hold raw."""
    if not html:
        return mark_safe("")
    if not isinstance(html, SafeData):
        return glossary_links(html)  # plain text: escape it, as the other filter does
    links = _links()
    if links is None or links.pattern is None:
        return html
    seen: set[int] = set()
    depth = dict.fromkeys(_NOT_INSIDE, 0)
    parts = []
    for piece in _TAG.split(str(html)):
        if piece.startswith("<"):
            name = _TAG_NAME.match(piece)
            tag = name.group(1).lower() if name else ""
            if tag in depth and not piece.endswith("/>"):
                depth[tag] += -1 if piece.startswith("</") else 1
            parts.append(piece)
        elif any(depth.values()) or not piece:
            parts.append(piece)
        else:  # text, already escaped: never inside an entity
            skipped = sorted([m.span() for m in _ENTITY.finditer(piece)]
                             + _skipped_spans(piece))
            parts.append(_link_terms(piece, links, seen, skipped=skipped))
    return mark_safe("".join(parts))  # noqa: S308 - tags as sanitised, text as it came


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
    linked = _link_terms(text, links, set(), skipped=_skipped_spans(text), escape_text=escape,
                         exclude=exclude)
    return mark_safe(linked)  # noqa: S308 - every piece of text was escaped
