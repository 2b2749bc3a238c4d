"""Markdown in playbook texts, rendered safely; talk-track variables filled from a deal.

Admins write Markdown; it becomes HTML with Python-Markdown and then passes nh3 (an HTML
sanitiser) with a short allowlist, so no script, event handler or ``javascript:`` link
survives, whatever the text or a deal's field contains.

Variables such as ``{{ customer.name }}`` are replaced by explicit substitution from a
whitelist, never by rendering the text as a Django template (that would let admins run
template code). Their values are escaped before they go into the HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

import markdown as markdown_lib
import nh3
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from deals.models import Deal

TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
        "td", "span"}
ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}, "span": set()}
# nh3 keeps a class only when listed here (and "class" must then stay out of ATTRIBUTES).
CLASSES = {"span": {"talk-var", "talk-var-filled", "talk-var-missing"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Headings start at h3: a stage's texts sit under the page's h1 and the stage's h2.
EXTENSIONS = ["sane_lists", "tables", "toc"]
EXTENSION_CONFIGS = {"toc": {"baselevel": 3}}

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_]+(?:\.[A-Za-z_]+)*)\s*\}\}")


def _amount(deal: Deal) -> str:
    return f"{number_format(deal.amount, 2, force_grouping=True)} {deal.currency}"


# name → (what it means, how to read it from a deal)
VARIABLES: dict[str, tuple[str, Callable[[Deal], str]]] = {
    "customer.name": (_("the customer's name"), lambda deal: deal.customer_name),
    "partner.name": (_("the partner's name"), lambda deal: deal.partner.name),
    "contact.name": (_("the customer contact's name"), lambda deal: deal.contact_name),
    "product.name": (_("the product line"), lambda deal: deal.product.name),
    "deal.amount": (_("the deal's amount and currency"), _amount),
}


def unknown_variables(text: str) -> list[str]:
    """Variables in ``text`` that are not on the whitelist (a draft refuses them)."""
    return sorted({m.group(1) for m in VARIABLE.finditer(text or "")} - VARIABLES.keys())


def deal_values(deal: Deal) -> dict[str, str]:
    """The whitelisted variables read from ``deal`` (needs partner and product loaded)."""
    return {name: str(read(deal) or "") for name, (_label, read) in VARIABLES.items()}


def _clean(fragment: str) -> str:
    return nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                     clean_content_tags={"script", "style"}, strip_comments=True)


@lru_cache(maxsize=1024)
def _to_html(source: str) -> str:
    """Markdown to sanitised HTML (cached: the same texts are shown again and again)."""
    return _clean(markdown_lib.markdown(source, extensions=EXTENSIONS,
                                        extension_configs=EXTENSION_CONFIGS))


def render_markdown(text: str) -> SafeString:
    """``text`` as safe HTML; variables stay visible as ``{{ name }}``."""
    return render_talk_track(text, None)


def _token_prefix(text: str) -> str:
    prefix = "pbvarq"
    while prefix in text:
        prefix += "q"
    return prefix


_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


def render_talk_track(text: str, values: Mapping[str, str] | None) -> SafeString:
    """``text`` as safe HTML with its variables filled from ``values``.

    Without values (the playbook page) a variable shows as its name; with values (a deal
    page) as the escaped value, or its name marked as missing when the deal has none.
    """
    text = text or ""
    prefix = _token_prefix(text)
    names: list[str] = []

    def to_token(match: re.Match) -> str:
        if match.group(1) not in VARIABLES:
            return match.group(0)
        names.append(match.group(1))
        return f"{prefix}{len(names) - 1}z"

    rendered = _to_html(VARIABLE.sub(to_token, text))
    if not names:
        return mark_safe(rendered)  # noqa: S308 - sanitised by nh3 just above
    token = re.compile(re.escape(prefix) + r"(\d+)z")

    def fill(part: str, in_tag: bool) -> str:
        def one(match: re.Match) -> str:
            index = int(match.group(1))
            if index >= len(names):
                return match.group(0)
            name = names[index]
            value = values.get(name, "") if values is not None else ""
            if in_tag:  # inside an attribute (a link's address): the plain escaped value
                return html.escape(value or "", quote=True)
            if values is None:
                return f'<span class="talk-var">{{{{ {name} }}}}</span>'
            if not value:
                return f'<span class="talk-var-missing">{{{{ {name} }}}}</span>'
            return f'<span class="talk-var-filled">{html.escape(value, quote=True)}</span>'

        return token.sub(one, part)

    # Python-Markdown escapes "<" and ">" inside attribute values, so this split is exact.
    parts = _TAG_OR_TEXT.split(rendered)
    filled = "".join(fill(part, in_tag=part.startswith("<")) for part in parts)
    # Cleaned once more: a value placed in a link's address may be a forbidden scheme.
    return mark_safe(_clean(filled))  # noqa: S308 - sanitised by nh3 just above
