"""The shared previous/next links of paginated lists (templates/includes/pagination.html)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string


def _links(number: int, query: str) -> str:
    page = Paginator(list(range(75)), 25).get_page(number)
    return render_to_string("includes/pagination.html", {
        "page": page, "url": "/deals/", "query": query, "target": "#deal-rows"})


def test_middle_page_links_both_ways_keeping_the_filters():
    html = _links(2, "status=approved&sort=amount")
    assert 'rel="prev" href="/deals/?status=approved&amp;sort=amount&amp;page=1"' in html
    assert 'rel="next" href="/deals/?status=approved&amp;sort=amount&amp;page=3"' in html
    assert 'hx-target="#deal-rows"' in html
    assert "Page 2 of 3" in html


def test_first_page_without_filters_has_only_next():
    html = _links(1, "")
    assert 'rel="prev"' not in html
    assert 'href="/deals/?page=2"' in html


def test_a_single_page_shows_no_links():
    page = Paginator([1, 2], 25).get_page(1)
    html = render_to_string("includes/pagination.html", {"page": page, "url": "/deals/"})
    assert "<nav" not in html
